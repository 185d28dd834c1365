"""Receivers on the sales domain's Ficha: every save (create, edit, import, admin) refreshes
the duplicate keys and runs detection (G7)."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from workflows.models import Ficha

from .models import DuplicateCase


@receiver(post_save, sender=Ficha, dispatch_uid="onboarding.ficha_saved")
def ficha_saved(sender, instance: Ficha, created: bool, raw: bool = False, **kwargs):
    """G7: detection on create and on edit."""
    if raw:
        return  # fixtures: `scan_duplicates` covers them
    from .services import detect_duplicates

    source = DuplicateCase.Source.REGISTRATION if created else DuplicateCase.Source.EDIT
    detect_duplicates(instance, source=source)
