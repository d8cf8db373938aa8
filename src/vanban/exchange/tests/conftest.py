import pytest


@pytest.fixture(autouse=True)
def _deliver_in_the_test_thread(settings):
    """The test's database transaction is only visible to its own connection: deliver there."""
    settings.VANBAN = {**settings.VANBAN, "EXCHANGE_PARALLEL": 1}
