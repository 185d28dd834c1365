"""Synthetic data at scale for benchmarks: deterministic (seeded), bulk inserts, progress.

Default sizes: 10^5 fichas, 10^6 movimentações, 2·10^5 agendamentos, 10^5 boletos,
5·10^4 tickets; `--scale 0.01` makes a quick small base with the same shape.
"""

import datetime as dt
import random
import sys
import time
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from workflows import clock
from workflows.agendamentos import EXPIRY_HANDLER, SUMMARIES, expires_at
from workflows.businessdays import add_business_days
from workflows.models import (
    Agendamento,
    AgendamentoKind,
    Boleto,
    Ficha,
    Movimentacao,
    Product,
    Timer,
)
from workflows.validators import cpf_with_check_digits

FIRST = [
    "Ana",
    "Bruno",
    "Carla",
    "Daniel",
    "Eduarda",
    "Felipe",
    "Gabriela",
    "Heitor",
    "Isabela",
    "João",
    "Larissa",
    "Marcos",
    "Natália",
    "Otávio",
    "Paula",
    "Rafael",
    "Sofia",
    "Tiago",
    "Vitória",
    "Wagner",
]
LAST = [
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
    "Costa",
    "Ribeiro",
    "Martins",
    "Carvalho",
    "Almeida",
    "Lopes",
    "Soares",
    "Fernandes",
    "Vieira",
    "Barbosa",
]
TEXTS = [
    "Cliente pediu valores de intimação para 2 advogados",
    "Tentativa, cliente não atendeu",
    "Dúvida sobre cadastro de processos: expliquei o passo a passo",
    "Retorno de erro na importação de publicações: resolvido",
    "Ofereci acompanhamento processual, cliente vai avaliar",
]


class Command(BaseCommand):
    help = "Gera uma base sintética grande e determinística para benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0)
        parser.add_argument("--seed", type=int, default=20261123)
        parser.add_argument("--batch", type=int, default=5000)

    def handle(self, *args, scale, seed, batch, **options):
        started = time.monotonic()
        self.rng = random.Random(seed)
        self.batch = batch
        call_command("demo_data", verbosity=0)
        sizes = {
            "fichas": int(100_000 * scale),
            "movimentações": int(1_000_000 * scale),
            "agendamentos": int(200_000 * scale),
            "boletos": int(100_000 * scale),
            "tickets": int(50_000 * scale),
        }
        self.agents = self._agents(20)
        self.products = list(Product.objects.all())
        self.now = clock.now()
        fichas = self._fichas(sizes["fichas"])
        self._movimentacoes(fichas, sizes["movimentações"])
        self._agendamentos(fichas, sizes["agendamentos"])
        self._boletos(fichas, sizes["boletos"])
        self._tickets(fichas, sizes["tickets"])
        # Indicadores' daily rollup of the settled past days, as the nightly schedule keeps it
        call_command("fill_indicators", stdout=self.stdout, stderr=self.stderr)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh planner statistics after a bulk load
        took = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Base sintética pronta em {took:.0f} s: {sizes}"))

    def _progress(self, label, done, total):
        sys.stdout.write(f"\r{label}: {done:>9,}/{total:,} ({100 * done // max(total, 1)}%)")
        if done >= total:
            sys.stdout.write("\n")
        sys.stdout.flush()

    def _bulk(self, label, model, total, make):
        first_id = (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        for start in range(0, total, self.batch):
            rows = [make(i) for i in range(start, min(start + self.batch, total))]
            with transaction.atomic():
                model.objects.bulk_create(rows, batch_size=self.batch)
            self._progress(label, start + len(rows), total)
        if total == 0:
            self._progress(label, 0, 0)
        return list(range(first_id, first_id + total))

    def _in_time_order(self, total, low, high) -> list[int]:
        """`total` random ages in [low, high), oldest first: rows are inserted in the order the
        app would have created them, so ids and table pages follow time as in production (in
        random order, every date range read pages all over a table)."""
        return sorted((self.rng.randrange(low, high) for _ in range(total)), reverse=True)

    def _agents(self, n):
        groups = list(Group.objects.filter(name__in=["agent", "seller"]))
        agents = []
        for i in range(n):
            user, created = User.objects.get_or_create(
                username=f"vendedor{i:02d}",
                defaults={"first_name": self.rng.choice(FIRST), "last_name": "Sintético"},
            )
            if created:
                user.set_unusable_password()
                user.save()
                user.groups.add(*groups)
            agents.append(user)
        return agents

    def _fichas(self, total):
        offset = Ficha.objects.count()
        ages = self._in_time_order(total, 1, 2000)  # days

        def make(i):
            n = offset + i
            name = f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)} {self.rng.choice(LAST)}"
            return Ficha(
                name=f"Dr(a). {name}",
                document=cpf_with_check_digits(f"{300_000_000 + n:09d}"),
                email=f"cliente{n}@exemplo.adv.br",
                phone=f"+55119{70_000_000 + n:08d}",
                oab=f"SP {100_000 + n}",
                created_at=self.now - dt.timedelta(days=ages[i]),
            )

        ids = self._bulk("fichas", Ficha, total, make)
        self._ficha_keys(ids)
        return ids

    def _ficha_keys(self, ids):
        """bulk_create sends no signals: build the indexed search/duplicate keys directly."""
        from onboarding.keys import keys_of, name_words
        from onboarding.models import FichaKeys, NameWord

        fields = ("pk", "name", "document", "email", "phone", "oab")
        for start in range(0, len(ids), self.batch):
            chunk = Ficha.objects.filter(pk__in=ids[start : start + self.batch]).values(*fields)
            keys, words = [], []
            for row in chunk:
                pk, name = row.pop("pk"), row.pop("name")
                keys.append(FichaKeys(ficha_id=pk, **keys_of(row)))
                words += [NameWord(ficha_id=pk, word=w) for w in name_words(name)]
            FichaKeys.objects.bulk_create(keys, batch_size=self.batch, ignore_conflicts=True)
            NameWord.objects.bulk_create(words, batch_size=self.batch, ignore_conflicts=True)
            self._progress("chaves de busca", min(start + self.batch, len(ids)), len(ids))

    def _movimentacoes(self, fichas, total):
        channels = Movimentacao.Channel.values
        reasons = Movimentacao.Reason.values
        outcomes = Movimentacao.Outcome.values
        ages = self._in_time_order(total, 1, 2_000_000)  # minutes

        def make(i):
            return Movimentacao(
                ficha_id=self.rng.choice(fichas),
                author=self.rng.choice(self.agents),
                at=self.now - dt.timedelta(minutes=ages[i]),
                channel=self.rng.choice(channels),
                reason=self.rng.choice(reasons),
                outcome=self.rng.choice(outcomes),
                text=self.rng.choice(TEXTS),
            )

        self._bulk("movimentações", Movimentacao, total, make)

    def _agendamentos(self, fichas, total):
        """Two years of agendamentos: only those of the last few days are still live."""
        today = clock.today()
        kinds = AgendamentoKind.values
        due_dates = {}
        ages = self._in_time_order(total, 0, 730)  # days

        def due_for(created, renewed):
            key = (created, renewed)
            if key not in due_dates:
                due_dates[key] = add_business_days(created, 6 if renewed else 2)
            return due_dates[key]

        def make(i):
            created = today - dt.timedelta(days=ages[i])
            renewed = self.rng.random() < 0.2
            due = due_for(created, renewed)
            if due >= today:
                state = "renewed" if renewed else "active"
            else:
                state = self.rng.choice(["concluded"] * 3 + ["expired"])
            kind = self.rng.choice(kinds)
            return Agendamento(
                ficha_id=self.rng.choice(fichas),
                kind=kind,
                product=self.rng.choice(self.products),
                owner=self.rng.choice(self.agents),
                state=state,
                created_at=self.now - dt.timedelta(days=(today - created).days),
                scheduled_for=due,
                due_date=due,
                renewed=renewed,
                summary=SUMMARIES[kind],
            )

        ids = self._bulk("agendamentos", Agendamento, total, make)
        ct = ContentType.objects.get_for_model(Agendamento)
        # In chunks: with server-side binding PostgreSQL takes at most 65,535 parameters.
        for start in range(0, len(ids), self.batch):
            live = Agendamento.objects.filter(
                pk__in=ids[start : start + self.batch], state__in=Agendamento.LIVE
            ).only("pk", "due_date", "state")
            timers = [
                Timer(
                    content_type=ct,
                    object_id=str(ag.pk),
                    key="expiry",
                    handler=EXPIRY_HANDLER,
                    due_at=expires_at(ag),
                    armed_state=ag.state,
                )
                for ag in live
            ]
            Timer.objects.bulk_create(timers, batch_size=self.batch)

    def _boletos(self, fichas, total):
        today = clock.today()
        offset = Boleto.objects.count()

        def make(i):
            due = today + dt.timedelta(days=self.rng.randrange(-800, 40))
            paid = due < today and self.rng.random() < 0.85
            return Boleto(
                ficha_id=self.rng.choice(fichas),
                number=f"SINT.{offset + i:08d}",
                amount=Decimal(self.rng.choice(["89.90", "129.90", "349.00", "24.90"])),
                due_date=due,
                paid_at=self.now if paid else None,
            )

        self._bulk("boletos", Boleto, total, make)

    def _tickets(self, fichas, total):
        try:
            from tickets.models import SlaPolicy, Ticket
        except ImportError:
            return
        policy = SlaPolicy.objects.order_by("pk").first() or SlaPolicy.objects.create(
            name="Padrão (sintético)",
            first_response_minutes=120,
            next_update_minutes=480,
            resolution_minutes=2400,
        )
        final = (Ticket.State.DONE, Ticket.State.MERGED)
        waiting = [s for s in Ticket.State.values if s not in final]
        settled = self.now - dt.timedelta(days=21)  # a helpdesk concludes what is three weeks old
        ages = self._in_time_order(total, 10, 200_000)  # minutes

        def make(i):
            opened = self.now - dt.timedelta(minutes=ages[i])
            done = opened < settled or self.rng.random() < 0.25
            answered = min(self.now, opened + dt.timedelta(minutes=self.rng.randrange(5, 600)))
            worked = dt.timedelta(minutes=self.rng.randrange(30, 14_400))
            resolved = min(self.now, answered + worked)
            ticket = Ticket(
                ficha_id=self.rng.choice(fichas),
                channel="email",
                subject=f"Chamado sintético {i}: {self.rng.choice(TEXTS)[:60]}",
                description=self.rng.choice(TEXTS),
                urgency=self.rng.randrange(1, 4),
                impact=self.rng.randrange(1, 4),
                sla_policy=policy,
                assignee=self.rng.choice(self.agents),
                state=Ticket.State.DONE if done else self.rng.choice(waiting),
                created_at=opened,
                first_response_at=answered if done or self.rng.random() < 0.5 else None,
                resolved_at=resolved if done else None,
                response_due_at=opened + dt.timedelta(hours=self.rng.randrange(1, 48)),
                resolution_due_at=opened + dt.timedelta(days=self.rng.randrange(1, 10)),
            )
            ticket.next_breach_at = ticket.next_breach()  # save() is bypassed by bulk_create
            return ticket

        self._bulk("tickets", Ticket, total, make)
