from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "vanban.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        from . import services  # noqa: F401  (connects the index to document changes)
