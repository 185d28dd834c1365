"""G7: start the onboarding of fichas imported in bulk (written around `ficha_register`)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from onboarding.checklist import onboarding_start_missing


class Command(BaseCommand):
    help = "Inicia o onboarding das fichas importadas que ainda não têm (G7)."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="só fichas cadastradas desde AAAA-MM-DD")
        parser.add_argument("--all", action="store_true", help="todas as fichas sem onboarding")
        parser.add_argument("--every", type=int, default=1000, help="progresso a cada N fichas")

    def handle(self, *args, since, all, every, **options):
        if not since and not all:
            raise CommandError("Informe --since AAAA-MM-DD ou --all.")
        try:
            day = dt.date.fromisoformat(since) if since else None
        except ValueError:
            raise CommandError("Data inválida: use AAAA-MM-DD.") from None

        def progress(done, total):
            self.stdout.write(f"{done}/{total} fichas")

        started = onboarding_start_missing(since=day, progress=progress, every=max(1, every))
        self.stdout.write(self.style.SUCCESS(f"Concluído: {started} onboardings iniciados."))
