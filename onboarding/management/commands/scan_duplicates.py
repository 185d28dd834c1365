"""G7: scan the whole base for duplicate registrations and fill the central team's queue."""

from django.core.management.base import BaseCommand

from onboarding.duplicates import duplicates_scan
from onboarding.keys import KEY_LABELS


class Command(BaseCommand):
    help = "Procura cadastros duplicados em toda a base (CPF/CNPJ, e-mail, telefone, OAB)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=int, default=1000, help="mostra o progresso a cada N fichas"
        )

    def handle(self, *args, every, **options):
        def progress(done, total):
            self.stdout.write(f"{done}/{total} fichas verificadas")

        summary = duplicates_scan(progress=progress, every=max(1, every))
        for name, value, count in summary["shared"][:20]:
            self.stdout.write(
                f"Ignorado: {KEY_LABELS[name]} {value} aparece em {count} fichas "
                "(contato compartilhado, não duplicidade)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Concluído: {summary['fichas']} fichas, {summary['pairs']} pares com chaves "
                f"iguais, {summary['created']} casos novos na fila da central."
            )
        )
