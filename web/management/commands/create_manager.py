"""Create (or promote) a gestor who can also use the Django admin: the first user of a deploy."""

import getpass
import os

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from workflows.roles import AGENT, MANAGER, SELLER


class Command(BaseCommand):
    help = (
        "Cria um gestor (atendente e comercial também, com acesso ao admin). A senha vem de "
        "BALCAO_MANAGER_PASSWORD ou é pedida no terminal, e passa pelos validadores de senha."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    def handle(self, *args, username, email, first_name, last_name, **options):
        password = os.environ.get("BALCAO_MANAGER_PASSWORD") or self._ask()
        user = User(username=username, email=email, first_name=first_name, last_name=last_name)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        with transaction.atomic():
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"email": email, "first_name": first_name, "last_name": last_name},
            )
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
            for role in (MANAGER, AGENT, SELLER):
                user.groups.add(Group.objects.get_or_create(name=role)[0])
        verb = "criado" if created else "atualizado"
        self.stdout.write(self.style.SUCCESS(f"Gestor {username} {verb}."))

    def _ask(self) -> str:
        if not os.isatty(0):
            raise CommandError("Defina BALCAO_MANAGER_PASSWORD ou rode num terminal.")
        password = getpass.getpass("Senha: ")
        if password != getpass.getpass("Senha (de novo): "):
            raise CommandError("As senhas não conferem.")
        return password
