"""What every onboarding page module shares: the role check, the answer to a successful POST
and a record's history link."""

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from workflows.roles import has_role


def require(user, *roles, message="Seu perfil não permite esta ação."):
    if not has_role(user, *roles):
        raise PermissionDenied(message)


def done(request, url, text):
    messages.success(request, text)
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def history_url(obj):
    ct = ContentType.objects.get_for_model(obj)
    return reverse("history", args=[ct.pk, obj.pk])
