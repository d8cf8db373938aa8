from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "vanban.workflow"
    label = "workflow"
    verbose_name = _("Operation: assignment and handling")

    def ready(self):
        from importlib import import_module

        from vanban.documents import panels

        from . import tasks  # noqa: F401  (registers the periodic reminders)
        from .areas import AREAS
        from .views import assignment, register

        panels.register(assignment.document_panel, order=20)
        # Each area's views module may list more panels as PANELS = [(order, function), ...].
        for area in AREAS:
            for order, function in import_module(f"{self.name}.views.{area}").PANELS:
                panels.register(function, order=order)
        panels.describe_actions(register.HISTORY_LABELS, register.HISTORY_DETAILS)
