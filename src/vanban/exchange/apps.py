from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "vanban.exchange"
    label = "exchange"
    verbose_name = _("Exchange between agencies")

    def ready(self):
        from vanban.documents import panels

        from . import views

        panels.register(views.document_panel, order=10)
