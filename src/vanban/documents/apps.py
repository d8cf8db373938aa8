from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "vanban.documents"
    label = "documents"
    verbose_name = _("Documents")

    def ready(self):
        from . import panels, views

        panels.describe_actions(views.HISTORY_LABELS)
