from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaptureConfig(AppConfig):
    name = "vanban.capture"
    label = "capture"
    verbose_name = _("Digitisation")

    def ready(self):
        from vanban.documents.services import files_stored
        from vanban.search.services import register_records

        from . import services, tasks  # noqa: F401  (tasks registers the periodic recovery)

        files_stored.connect(services.on_files_stored, dispatch_uid="capture.extract_text")
        register_records(services.SEARCH_SOURCE, services.all_archival_records)
