"""Write the official closed days of some years into the company calendar (S2, T6).

The monthly django-q2 schedule does this year and the next by itself; this fills others:
    python manage.py seed_calendar 2026 2027
"""

from django.core.management.base import BaseCommand, CommandError

from workflows import clock
from workflows.businessdays import seed_company_calendar
from workflows.validators import MAX_DATE, MIN_DATE


class Command(BaseCommand):
    help = "Inclui no calendário da empresa os feriados oficiais dos anos dados."

    def add_arguments(self, parser):
        parser.add_argument("years", nargs="*", type=int, help="anos (padrão: este e o próximo)")

    def handle(self, *args, years, **options):
        today = clock.today()
        years = years or [today.year, today.year + 1]
        wrong = [year for year in years if not MIN_DATE.year <= year <= MAX_DATE.year]
        if wrong:
            raise CommandError(
                f"Ano fora do intervalo aceito ({MIN_DATE.year}–{MAX_DATE.year}): "
                + ", ".join(map(str, wrong))
            )
        added = seed_company_calendar(years)
        self.stdout.write(f"{added} dias incluídos no calendário ({', '.join(map(str, years))}).")
