import io
import os

import pytest
from conftest import build_province, pdf_upload
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from vanban.documents import services, storage, tasks

pytestmark = pytest.mark.django_db


def _doc(p, text):
    return services.register_incoming(
        p.clerk_a,
        uploads=[pdf_upload(text)],
        doc_type=p.types["cong-van"],
        subject=text,
        issuer_name="Sở TC",
        issued_date=timezone.localdate(),
    ).document


def _path(settings, sha256):
    return os.path.join(settings.STORAGES["documents"]["OPTIONS"]["location"], storage.path_for(sha256))


def test_scrub_finds_corrupt_and_missing_files(province, settings):
    _good, bad, gone = (_doc(province, t) for t in ("một", "hai", "ba"))
    out = io.StringIO()
    call_command("files", "verify", stdout=out)
    assert "All 3 stored files" in out.getvalue()
    with open(_path(settings, bad.files.get().blob_id), "r+b") as fh:
        fh.write(b"%PDF-9.9")
    os.unlink(_path(settings, gone.files.get().blob_id))
    with pytest.raises(CommandError) as e:
        call_command("files", "verify", stdout=io.StringIO(), stderr=io.StringIO())
    assert e.value.returncode == 1 and "2 of 3" in str(e.value)


@pytest.mark.django_db(transaction=True)
def test_scrub_runs_on_the_task_worker():
    """The real queue: enqueue on the database backend, then let `db_worker` run it."""
    _doc(build_province(), "bốn")
    result = tasks.verify_stored_files.enqueue()
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", verbosity=0)
    result.refresh()
    assert result.status == "SUCCESSFUL", result.status
    assert result.return_value == {"checked": 1, "corrupt": [], "missing": []}
