"""Keep the settled past days of Indicadores in the daily rollup (issue 19).

The nightly django-q2 schedule does the last days by itself; this fills any others, e.g.
after `generate_data` or an import, with a progress bar:
    python manage.py fill_indicators                      # from the oldest record to yesterday
    python manage.py fill_indicators --desde 01/01/2026 --ate 31/03/2026 --refazer
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Min
from django.template.defaultfilters import pluralize
from tqdm import tqdm

from web.indicators_sections import SECTIONS
from workflows import clock
from workflows import indicators_rollup as rollup
from workflows.indicators_period import IndicatorError, parse_date
from workflows.validators import MIN_DATE


def oldest_day():
    """The local day of the oldest record any rolling source counts, or None."""
    days = []
    for plan in rollup.plans(SECTIONS):
        source = plan.source
        first = source.queryset().aggregate(first=Min(source.when))["first"]
        if first is not None:
            days.append(first if source.dated else clock.localdate(first))
    return min(days, default=None)


class Command(BaseCommand):
    help = "Consolida os dias passados dos Indicadores (barra de progresso)."

    def add_arguments(self, parser):
        parser.add_argument("--desde", help="primeiro dia (dd/mm/aaaa; padrão: o mais antigo)")
        parser.add_argument("--ate", help="último dia (dd/mm/aaaa; padrão: ontem)")
        parser.add_argument(
            "--refazer", action="store_true", help="refaz também os dias já consolidados"
        )

    def handle(self, *args, desde, ate, refazer, **options):
        yesterday = clock.today() - rollup.ONE_DAY
        try:
            end = parse_date(ate, "final") if ate else yesterday
            start = parse_date(desde, "inicial") if desde else oldest_day()
        except IndicatorError as error:
            raise CommandError(error.message) from None
        if end > yesterday:
            raise CommandError(f"Só dias passados se consolidam: escolha até {yesterday:%d/%m/%Y}.")
        if start is None:
            self.stdout.write("Nada a consolidar: ainda não há registros.")
            return
        if start < MIN_DATE:
            raise CommandError(f"Escolha datas a partir de {MIN_DATE:%d/%m/%Y}.")
        if start > end:
            raise CommandError("A data inicial deve ser anterior ou igual à final.")
        with tqdm(
            total=(end - start).days + 1, unit="dia", desc="Consolidando", file=sys.stderr
        ) as bar:
            counts = rollup.roll(SECTIONS, start, end, redo=refazer, progress=bar.update)
        self.stdout.write(f"{counts['days']} dias de {start:%d/%m/%Y} a {end:%d/%m/%Y}.")
        for slug, done in counts["sources"].items():
            kept, before, months = done["kept"], done["before"], done["months"]
            self.stdout.write(
                f"  {slug}: {kept} consolidado{pluralize(kept)}, {before} já estava"
                f"{pluralize(before, 'm')}, {done['live']} com registros em aberto (contados dos "
                f"registros até se encerrarem); {months} m{pluralize(months, 'ês,eses')} "
                f"inteiro{pluralize(months)} somado{pluralize(months)}."
            )
