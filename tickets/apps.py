from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Suporte"

    def ready(self):
        from .defaults import ensure_defaults

        post_migrate.connect(ensure_defaults, sender=self)
