from django.apps import AppConfig


class VanbanConfig(AppConfig):
    """The project itself as an app: base templates, static assets, the `up` command."""

    name = "vanban"
    verbose_name = "vanban"
