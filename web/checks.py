"""System checks that keep an unsafe configuration from running (README, "Deploy").

They run with every management command (migrate, qcluster, check) and when the WSGI
application loads (web/wsgi.py), so gunicorn refuses to start with them failing too.
"""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

# Keys that were published in this repository's history or are Django's placeholder prefix.
PUBLISHED_KEYS = {"dev-only-insecure-key-change-me"}


def _published(key: str) -> bool:
    return key in PUBLISHED_KEYS or key.startswith("django-insecure-") or len(set(key)) < 5


@register(Tags.security, "balcao")
def check_production_safety(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    problems = []
    if _published(settings.SECRET_KEY):
        problems.append(
            Error(
                "DEBUG is off but SECRET_KEY is a published development key: anyone could sign "
                "holder-validation links and sessions.",
                hint="Set DJANGO_SECRET_KEY to a long random value (README, Deploy), or unset "
                "it to use the key generated in var/secret_key on this machine.",
                id="balcao.E001",
            )
        )
    if not settings.ALLOWED_HOSTS:
        problems.append(
            Error(
                "DEBUG is off and ALLOWED_HOSTS is empty: every request would be refused.",
                hint="Set DJANGO_ALLOWED_HOSTS, e.g. balcao.example.com.",
                id="balcao.E002",
            )
        )
    return problems


@register(Tags.security, "balcao", deploy=True)
def check_deploy(app_configs, **kwargs):
    """Under `check --deploy`: what a single-machine run tolerates but a deploy must not."""
    problems = []
    from os import environ

    if not environ.get("DJANGO_SECRET_KEY"):
        problems.append(
            Warning(
                "SECRET_KEY comes from var/secret_key, made on this machine: every server of a "
                "deploy needs the same key.",
                hint="Set DJANGO_SECRET_KEY (README, Deploy).",
                id="balcao.W001",
            )
        )
    if settings.DEMO:
        problems.append(
            Warning(
                "BALCAO_DEMO is on: demo_data may create users with the published password.",
                hint="Unset BALCAO_DEMO in production.",
                id="balcao.W002",
            )
        )
    return problems
