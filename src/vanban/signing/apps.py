from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigningConfig(AppConfig):
    name = "vanban.signing"
    label = "signing"
    verbose_name = _("Keys, certificates and signatures")

    def ready(self):
        from vanban.documents import panels
        from vanban.documents.services import files_stored

        from . import tasks, views_checks

        files_stored.connect(tasks.on_files_stored, dispatch_uid="signing.verify_on_arrival")
        panels.register(views_checks.document_panel, order=15)
        panels.describe_actions({"signing.check_signatures": _("Digital signatures checked")})
