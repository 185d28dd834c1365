from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "web"
    verbose_name = "Páginas"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
