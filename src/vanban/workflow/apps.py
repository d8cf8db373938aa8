from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "vanban.workflow"
    label = "workflow"
    verbose_name = _("Operation: assignment and handling")

    def ready(self):
        from vanban.documents import panels

        from . import views

        panels.register(views.document_panel, order=20)
