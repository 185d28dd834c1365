"""Receivers on the sales domain's Ficha: every save (create, edit, import, admin) refreshes
the duplicate keys and runs detection (G7)."""

import contextlib
from contextvars import ContextVar

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from workflows.models import Ficha

from .models import DuplicateCase

_deferred: ContextVar[bool] = ContextVar("onboarding_detection_deferred", default=False)


@contextlib.contextmanager
def detection_after_commit():
    """Inside a merge, detection waits for the commit: opening a case locks the matched
    ficha's key, and that ficha may be locked by another merge waiting for ours."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


def _detect(pk: int, source: str) -> None:
    from .services import detect_duplicates

    ficha = Ficha.objects.filter(pk=pk).first()
    if ficha is not None:
        detect_duplicates(ficha, source=source)


@receiver(post_save, sender=Ficha, dispatch_uid="onboarding.ficha_saved")
def ficha_saved(sender, instance: Ficha, created: bool, raw: bool = False, **kwargs):
    """G7: a new ficha starts its onboarding; detection on create and on edit."""
    if raw:
        return  # fixtures: `scan_duplicates` covers them
    if created:
        from .services import start_onboarding

        start_onboarding(instance, registered_by=getattr(instance, "_registered_by", None))
    source = DuplicateCase.Source.REGISTRATION if created else DuplicateCase.Source.EDIT
    if _deferred.get():
        transaction.on_commit(lambda: _detect(instance.pk, source))
        return
    from .services import detect_duplicates

    detect_duplicates(instance, source=source)
