"""Time the hot pages and decisions on the current database: median, p95, queries.

Run it after `generate_data` (see README, "Performance"). Writes are rolled back.
"""

import datetime as dt
import random
import statistics
import time
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.handlers.wsgi import WSGIHandler
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import Client, RequestFactory

from web.indicators_sections import SECTIONS
from web.runtime import settle_gc
from workflows import clock, ownership, timers, triage
from workflows import indicators_rollup as rollup
from workflows.models import Agendamento, Ficha, Product
from workflows.validators import format_document

TARGET_MS = 25
# Issue 19: Indicadores under 150 ms p95 at full size; the nightly rollup has no target.
TARGETS = {"indicadores": 150, "consolidação": None}
SWEEP_TARGET_S = 2


class Rollback(Exception):
    pass


class ServerClient:
    """GETs through Django's production WSGI handler, as gunicorn calls it, with a logged-in
    session. (django.test.Client reconnects a signal receiver on every request, leaking three
    weakref finalizers each time: over a long run the garbage collector slows down and
    database connections never close, neither of which a server does.)"""

    handler = WSGIHandler()

    def __init__(self, user):
        login = Client()
        login.force_login(user)
        self.cookie = "; ".join(f"{name}={c.value}" for name, c in login.cookies.items())

    def get(self, path, data=None, headers=None):
        environ = RequestFactory().get(path, data, headers=headers).environ
        environ["HTTP_COOKIE"] = self.cookie
        status = []
        response = self.handler(environ, lambda line, headers, exc_info=None: status.append(line))
        try:
            b"".join(response)
        finally:
            response.close()  # request_finished, as a WSGI server does
        return SimpleNamespace(status_code=int(status[0].split()[0]))


class Command(BaseCommand):
    help = "Mede páginas e decisões quentes: mediana, p95 e consultas por requisição."

    def add_arguments(self, parser):
        # p95 of 30 runs is the second worst: one slow spell of the VM decides it. 100 runs
        # leave out the five worst.
        parser.add_argument("--repeat", type=int, default=100)
        parser.add_argument("--seed", type=int, default=7)
        # bin/instructions: only request one page `repeat` times, as one user, and print nothing
        parser.add_argument("--page", help="só requisita esta página, --repeat vezes")
        parser.add_argument("--as", dest="username", default="gabriel")
        # to compare with a commit that lacks some targets: the round robin then requests the
        # same pages on both sides (a heavy page between two light ones slows them too)
        parser.add_argument(
            "--skip",
            action="append",
            default=[],
            metavar="INÍCIO",
            help="deixa de fora os alvos cujo nome começa assim (repetível)",
        )

    def handle(self, *args, repeat, seed, page, username, skip, **options):
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        settings.DEBUG = False
        settle_gc()  # as the server does (web/wsgi.py)
        if page:
            client = ServerClient(get_user_model().objects.get(username=username))
            for _ in range(repeat):
                if (status := client.get(page).status_code) != 200:
                    raise SystemExit(f"{page}: HTTP {status}")
            return
        rng = random.Random(seed)
        User = get_user_model()
        agent = (
            User.objects.filter(agendamentos__state__in=Agendamento.LIVE)
            .order_by("username")
            .first()
        ) or User.objects.get(username="ana")
        manager = User.objects.get(username="gabriel")
        seller, boss = ServerClient(agent), ServerClient(manager)
        support = ServerClient(User.objects.get(username="carla"))
        max_pk = Ficha.objects.order_by("-pk").values_list("pk", flat=True).first()
        fichas = list(Ficha.objects.filter(pk__in=rng.sample(range(1, max_pk + 1), 200)))
        product = Product.objects.get(code="intimacao")
        self.stdout.write(
            f"Base: {Ficha.objects.count():,} fichas, "
            f"{Agendamento.objects.count():,} agendamentos; banco "
            f"{connection.vendor}; {repeat} repetições\n"
        )

        def pick():
            return rng.choice(fichas)

        def triage_start():
            try:
                with transaction.atomic():
                    triage.triage_start(
                        pick(),
                        agent=agent,
                        product=product,
                        channel="chat",
                        text="Quer contratar",
                        boleto_alert_given=True,
                        bitrix_link=f"https://{settings.BITRIX_PORTAL_HOST}/crm/deal/details/1/",
                    )
                    raise Rollback
            except Rollback:
                pass

        yesterday = clock.today() - dt.timedelta(days=1)

        def roll_yesterday():  # the nightly rollup's work for one day, rolled back
            try:
                with transaction.atomic():
                    rollup.roll(SECTIONS, yesterday, yesterday, redo=True)
                    raise Rollback
            except Rollback:
                pass

        hx = {"HX-Request": "true"}
        cases = [
            ("página da ficha", lambda: seller.get(f"/fichas/{pick().pk}/")),
            ("início do atendente", lambda: seller.get("/")),
            ("painel do gestor", lambda: boss.get("/gestor/")),
            ("indicadores (7 dias)", lambda: boss.get("/indicadores/", {"periodo": "7dias"})),
            ("indicadores (este mês)", lambda: boss.get("/indicadores/", {"periodo": "mes"})),
            # a whole month against the one before: 60 days of rows, whatever today's date
            (
                "indicadores (mês anterior)",
                lambda: boss.get("/indicadores/", {"periodo": "mes-anterior"}),
            ),
            ("consolidação de um dia", roll_yesterday),
            ("may_sell (decisão)", lambda: ownership.may_sell(pick(), product, agent)),
            ("início do atendimento (S8)", triage_start),
            ("fila de SLA", lambda: boss.get("/suporte/fila/")),
            ("rotina do suporte", lambda: support.get("/suporte/rotina/")),
            (
                "busca por CPF",
                lambda: seller.get("/fichas/", {"q": format_document(pick().document)}, headers=hx),
            ),
            ("busca por e-mail", lambda: seller.get("/fichas/", {"q": pick().email}, headers=hx)),
            (
                "busca por telefone",
                lambda: seller.get("/fichas/", {"q": pick().phone[3:]}, headers=hx),
            ),
            (
                "busca por nome",
                lambda: seller.get(
                    "/fichas/", {"q": " ".join(pick().name.split()[1:3])}, headers=hx
                ),
            ),
        ]
        cases = [(name, fn) for name, fn in cases if not name.startswith(tuple(skip))]
        for _, fn in cases:
            fn()  # warm caches and connections
        times = {name: [] for name, _ in cases}
        queries = {name: set() for name, _ in cases}
        for _ in range(repeat):  # round robin: a slow spell of the machine hits every target
            for name, fn in cases:
                times[name].append(self.measure(name, fn, queries[name]))
        self.stdout.write(f"{'alvo':<30} {'mediana ms':>10} {'p95 ms':>8} {'consultas':>10}")
        for name, _ in cases:
            spread = sorted(times[name])
            median, p95 = statistics.median(spread), spread[max(0, int(len(spread) * 0.95) - 1)]
            counts = "/".join(str(q) for q in sorted(queries[name]))
            target = next((t for key, t in TARGETS.items() if name.startswith(key)), TARGET_MS)
            flag = "" if target is None or p95 <= target else f"  acima de {target} ms"
            self.stdout.write(f"{name:<30} {median:>10.1f} {p95:>8.1f} {counts:>10}{flag}")
        self.sweep_report()

    def measure(self, name, fn, queries: set) -> float:
        """One call in ms; adds its query count to `queries`.

        Queries are counted by a bare execute wrapper: Django's debug cursor (what
        CaptureQueriesContext turns on) formats every statement, and on SQLite runs an extra
        query per statement to quote its parameters, which a production server never pays.
        """
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            start = time.perf_counter()
            response = fn()
            elapsed = (time.perf_counter() - start) * 1000
        status = getattr(response, "status_code", 200)
        if status != 200:
            raise SystemExit(f"{name}: HTTP {status}")
        queries.add(count)
        return elapsed

    def sweep_report(self):
        """The minute sweep: with nothing due, and firing every live agendamento's deadline."""
        idle = []
        for _ in range(20):
            start = time.perf_counter()
            timers.sweep()
            idle.append(time.perf_counter() - start)
        due = Agendamento.objects.filter(state__in=Agendamento.LIVE).count()
        later = clock.now() + dt.timedelta(days=10)
        try:
            with transaction.atomic(), clock.frozen(later):
                start = time.perf_counter()
                fired = timers.sweep()
                busy = time.perf_counter() - start
                raise Rollback
        except Rollback:
            pass
        self.stdout.write(
            f"\nvarredura de prazos: {statistics.median(idle) * 1000:.1f} ms sem nada vencido "
            f"(mediana); "
            f"{busy:.2f} s para expirar {fired} de {due} agendamentos vencidos "
            f"(alvo {SWEEP_TARGET_S} s)"
        )
