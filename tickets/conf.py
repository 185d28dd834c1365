"""Support settings: Django settings first (tests override them), then env vars, then defaults."""

import os

from django.conf import settings

DEFAULTS = {
    # T7: GitHub REST API and webhook.
    "GITHUB_API_URL": "https://api.github.com",
    "GITHUB_REPOSITORY": "",  # owner/name
    "GITHUB_TOKEN": "",
    "GITHUB_WEBHOOK_SECRET": "",
    "GITHUB_TIMEOUT_SECONDS": "10",
    # T1: the support mailbox.
    "SUPPORT_IMAP_HOST": "",
    "SUPPORT_IMAP_PORT": "993",
    "SUPPORT_IMAP_SSL": "true",
    "SUPPORT_IMAP_USER": "",
    "SUPPORT_IMAP_PASSWORD": "",
    "SUPPORT_IMAP_FOLDER": "INBOX",
    "SUPPORT_EMAIL_FROM": "",
    # T1: the most of one message kept (original + attachments), in bytes; over it only the
    # headers and the text are stored.
    "SUPPORT_EMAIL_MAX_BYTES": str(10 * 1024 * 1024),
}


def get(name: str) -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, DEFAULTS[name])
    return str(value)
