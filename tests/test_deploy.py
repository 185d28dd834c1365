"""Production defaults (README, "Deploy"): DEBUG off, no published key, HTTPS from the
environment, the pt-BR error pages, throttled logins, the standard password validators, and a
demo loader that refuses a production database."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import include, path

ROOT = Path(__file__).resolve().parent.parent

# The production environment the README's "Deploy" section documents (its secret made up).
PRODUCTION = {
    "DJANGO_SECRET_KEY": "k8$Zq2vN!xR7pL0wT4mC9eY6uB3hJ5gD1sF8aQ2zX7cV4bN6mK0lP9oI3uY5tR1",
    "DJANGO_ALLOWED_HOSTS": "balcao.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://balcao.example.com",
    "DJANGO_HTTPS": "true",
    "DJANGO_BEHIND_PROXY": "true",
}


def manage(tmp_path, *args, **env):
    """Run manage.py in a fresh process with only the given Balcão environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BALCAO_"))}
    clean.pop("DATABASE_URL", None)
    clean.pop("REDIS_URL", None)
    clean.update(BALCAO_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="web.settings", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def setting(tmp_path, name, **env):
    done = manage(
        tmp_path,
        "shell",
        "-v0",
        "-c",
        f"from django.conf import settings; print(settings.{name})",
        **env,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_debug_is_off_unless_asked_for(tmp_path):
    assert setting(tmp_path, "DEBUG") == "False"
    assert setting(tmp_path, "DEBUG", DJANGO_DEBUG="true") == "True"


def test_a_local_secret_key_is_made_once_and_kept_private(tmp_path):
    first = setting(tmp_path, "SECRET_KEY")
    assert setting(tmp_path, "SECRET_KEY") == first
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == first and len(first) >= 50
    assert key_file.stat().st_mode & 0o077 == 0
    assert setting(tmp_path / "elsewhere", "SECRET_KEY") != first


def test_check_deploy_is_clean_under_the_documented_production_environment(tmp_path):
    done = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


@pytest.mark.parametrize(
    "env, check_id",
    [
        ({"DJANGO_SECRET_KEY": "dev-only-insecure-key-change-me"}, "balcao.E001"),
        ({"DJANGO_SECRET_KEY": "django-insecure-" + "x1y2z3" * 9}, "balcao.E001"),
        ({"DJANGO_ALLOWED_HOSTS": " , "}, "balcao.E002"),
    ],
)
def test_an_unsafe_production_configuration_refuses_to_run(tmp_path, env, check_id):
    env = {**PRODUCTION, **env}
    for command in (["check"], ["migrate", "--no-input"]):
        done = manage(tmp_path, *command, **env)
        assert done.returncode != 0 and check_id in done.stderr, done.stderr
    # gunicorn loads web.wsgi: it refuses too.
    done = manage(tmp_path, "shell", "-v0", "-c", "import web.wsgi", **env)
    assert done.returncode != 0 and check_id in done.stderr
    assert manage(tmp_path, "check", DJANGO_DEBUG="true", **env).returncode == 0


def test_https_settings_come_from_the_environment(tmp_path):
    assert setting(tmp_path, "SESSION_COOKIE_SECURE") == "False"
    for name, value in [
        ("SESSION_COOKIE_SECURE", "True"),
        ("CSRF_COOKIE_SECURE", "True"),
        ("SECURE_SSL_REDIRECT", "True"),
        ("SECURE_HSTS_SECONDS", "31536000"),
        ("SECURE_PROXY_SSL_HEADER", "('HTTP_X_FORWARDED_PROTO', 'https')"),
        ("CSRF_TRUSTED_ORIGINS", "['https://balcao.example.com']"),
    ]:
        assert setting(tmp_path, name, **PRODUCTION) == value, name


@pytest.mark.django_db
def test_behind_a_tls_proxy_a_post_passes_csrf_once_the_proxy_is_trusted(make_user):
    make_user(username="ana")
    client = Client(enforce_csrf_checks=True)
    headers = {"HTTP_HOST": "balcao.example.com", "HTTP_X_FORWARDED_PROTO": "https"}
    with override_settings(ALLOWED_HOSTS=["balcao.example.com"]):
        token = client.get("/entrar/", **headers).cookies["csrftoken"].value
        post = {"username": "ana", "password": "senha-teste-123", "csrfmiddlewaretoken": token}
        origin = {**headers, "HTTP_ORIGIN": "https://balcao.example.com"}
        refused = client.post("/entrar/", post, **origin)
        assert refused.status_code == 403
        assert "O formulário expirou" in refused.content.decode()
        with override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
            assert client.post("/entrar/", post, **origin).status_code == 302


def boom(request):
    raise RuntimeError("password=s3cr3t in a traceback")


urlpatterns = [path("boom/", boom), path("", include("web.urls"))]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_error_pages_in_production_are_pt_br_without_technical_detail():
    client = Client(raise_request_exception=False)
    not_found = client.get("/nao-existe/")
    assert not_found.status_code == 404
    body = not_found.content.decode()
    assert "Página não encontrada" in body and "boom/" not in body and "URLconf" not in body
    error = client.get("/boom/")
    assert error.status_code == 500
    body = error.content.decode()
    assert "Algo deu errado" in body and "s3cr3t" not in body and "Traceback" not in body


@pytest.mark.django_db
def test_logins_are_throttled_per_user_and_per_address(make_user, settings):
    make_user(username="ana")
    make_user(username="bruno")
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    wrong = {"username": "ana", "password": "errada"}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert "Usuário ou senha incorretos" in attacker.post("/entrar/", wrong).content.decode()
    assert attacker.post("/entrar/", wrong).status_code == 429  # the limit-th failure locks
    # Locked: even the right password is refused now, with the pt-BR page.
    locked = attacker.post("/entrar/", {"username": "ana", "password": "senha-teste-123"})
    assert locked.status_code == 429
    assert "Acesso bloqueado" in locked.content.decode()
    assert "_auth_user_id" not in attacker.session
    # Per user: ana is locked from another address too; per address: bruno from the attacker's.
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert (
        elsewhere.post("/entrar/", {"username": "ana", "password": "senha-teste-123"}).status_code
        == 429
    )
    assert (
        attacker.post("/entrar/", {"username": "bruno", "password": "senha-teste-123"}).status_code
        == 429
    )
    assert (
        elsewhere.post("/entrar/", {"username": "bruno", "password": "senha-teste-123"}).status_code
        == 302
    )


@pytest.mark.django_db
def test_a_few_wrong_passwords_then_the_right_one_still_sign_in(make_user, settings):
    make_user(username="ana")
    client = Client(REMOTE_ADDR="203.0.113.10")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/entrar/", {"username": "ana", "password": "errada"})
    assert (
        client.post("/entrar/", {"username": "ana", "password": "senha-teste-123"}).status_code
        == 302
    )


@pytest.mark.parametrize("password", ["12345678", "senha123", "ana.souza", "abc"])
def test_weak_passwords_are_refused_in_portuguese(password):
    user = User(username="ana.souza", first_name="Ana", email="ana.souza@example.com")
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    assert any("senha" in message.lower() for message in refused.value.messages)


@pytest.mark.django_db
def test_demo_data_refuses_a_production_database_unless_forced(settings):
    settings.DEBUG = False
    settings.DEMO = False
    with pytest.raises(CommandError, match="senha publicada"):
        call_command("demo_data", verbosity=0)
    assert not User.objects.exists()
    call_command("demo_data", "--force", verbosity=0)
    assert User.objects.filter(username="gabriel").exists()


@pytest.mark.django_db
def test_create_manager_makes_a_gestor_with_a_validated_password(monkeypatch):
    monkeypatch.setenv("BALCAO_MANAGER_PASSWORD", "12345678")
    with pytest.raises(CommandError):
        call_command("create_manager", "marta", verbosity=0)
    assert not User.objects.filter(username="marta").exists()
    monkeypatch.setenv("BALCAO_MANAGER_PASSWORD", "Cafe-com-pao-de-queijo-42")
    call_command("create_manager", "marta", "--email", "marta@example.com", verbosity=0)
    marta = User.objects.get(username="marta")
    assert marta.is_staff and marta.check_password("Cafe-com-pao-de-queijo-42")
    assert set(marta.groups.values_list("name", flat=True)) == {"manager", "agent", "seller"}
