"""Medição of "realizar as vendas em uma ligação" (issue 19, S8): of the receptive triages,
how many ended in a sale in the same attendance, by the passo it went through and by channel;
how long from the first contact to the sale; and the 1º passo hand-offs (the client of an
agendamento's owner), taken by the owner, by the team or by nobody, with the wait.

Reading (the issue is silent): a triage is counted in the period it STARTED in, with what
became of it as of now. Its passo is the route it took: 1º passo when it was offered to an
agendamento's owner, 3º passo when it went to the comercial, 2º passo otherwise (sold or
priced directly). "Same attendance" is the triage itself ending in a sale (state Vendido).
The wait of a hand-off runs from the start of the triage to the moment someone took it.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Case,
    CharField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast

from .indicators import Breakdown, Column, Figure, Ratio, Section, Source
from .indicators_sales import ficha_url, name_of, person, user_group
from .models import AuditEntry, Movimentacao, Triage
from .roles import ATTENDANTS

T = Triage.State
PASSOS = {"1": "1º passo: cliente com agendamento", "2": "2º passo: venda direta"}
PASSOS["3"] = "3º passo: com o comercial"
TAKEN = ("owner_accepts", "seller_takes")


def _triages():
    """Triages with their route (passo), the moment someone took them, and the durations."""
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Triage),
        object_id=Cast(OuterRef("pk"), CharField()),
    )
    taken_at = entries.filter(event__in=TAKEN).order_by("at").values("at")[:1]
    return Triage.objects.annotate(
        route=Case(
            When(reserved_by__isnull=False, then=Value("1")),
            When(Exists(entries.filter(to_state=T.TO_COMERCIAL)), then=Value("3")),
            default=Value("2"),
            output_field=CharField(),
        ),
        taken_at=Subquery(taken_at),
        to_sale=ExpressionWrapper(F("sale__at") - F("started_at"), output_field=DurationField()),
        wait=ExpressionWrapper(F("taken_at") - F("started_at"), output_field=DurationField()),
    )


def _how_taken(t: Triage) -> str:
    if not t.reserved_by_id:
        return ""
    if t.attendant_id is None:
        return "Ninguém assumiu"
    return "O dono do agendamento" if t.attendant_id == t.reserved_by.owner_id else "A equipe"


TRIAGES = Source(
    slug="atendimentos",
    queryset=_triages,
    when="started_at",
    member="started_by",
    product="product",
    channel="channel",
    list_related=("ficha", "product", "started_by", "attendant", "sale", "reserved_by"),
    link=ficha_url,
    columns=(
        Column("Início", lambda t: t.started_at, "datetime"),
        Column("Ficha", lambda t: t.ficha.name),
        Column("Produto", lambda t: t.product.name),
        Column("Canal", lambda t: t.get_channel_display()),
        Column("Passo", lambda t: PASSOS[t.route]),
        Column("Iniciado por", lambda t: name_of(t.started_by)),
        Column("Quem atendeu", lambda t: name_of(t.attendant) if t.attendant_id else ""),
        Column("Situação", lambda t: t.get_state_display()),
        Column("Venda em", lambda t: t.sale.at if t.sale_id else None, "datetime"),
        Column("Repasse (1º passo)", _how_taken),
    ),
)

STARTED = Figure("atendimentos", "Atendimentos receptivos", TRIAGES, better=0)
SOLD = Figure("atendimentos-vendidos", "Vendidos no mesmo atendimento", TRIAGES, Q(state=T.SOLD))
PRICED = Figure(
    "atendimentos-preco-enviado",
    "Preço enviado, aguardando retorno",
    TRIAGES,
    Q(state=T.PRICE_SENT),
    better=0,
)
CLOSED = Figure(
    "atendimentos-sem-venda", "Encerrados sem venda", TRIAGES, Q(state=T.CLOSED), better=-1
)
TO_SALE = Figure(
    "atendimentos-tempo-venda",
    "Tempo até a venda (soma)",
    TRIAGES,
    Q(state=T.SOLD),
    total="to_sale",
    better=-1,
    drill=False,
)
ONE_CALL = Ratio("atendimentos-uma-ligacao", "Vendas em uma ligação", SOLD.key, STARTED.key)
MEAN_TO_SALE = Ratio(
    "atendimentos-tempo-medio-venda",
    "Tempo médio do contato à venda",
    TO_SALE.key,
    SOLD.key,
    better=-1,
    mean=True,
)

# 1º passo hand-offs: the client of an agendamento's owner (S8).
OFFERED = Q(reserved_by__isnull=False)
HANDOFFS = Figure("repasses", "Oferecidos ao dono do agendamento", TRIAGES, OFFERED, better=0)
BY_OWNER = Figure(
    "repasses-dono",
    "Assumidos pelo dono",
    TRIAGES,
    OFFERED & Q(attendant=F("reserved_by__owner")),
    better=0,
)
BY_TEAM = Figure(
    "repasses-equipe",
    "Assumidos pela equipe",
    TRIAGES,
    OFFERED & Q(attendant__isnull=False) & ~Q(attendant=F("reserved_by__owner")),
    better=0,
)
BY_NOBODY = Figure(
    "repasses-ninguem",
    "Ninguém assumiu",
    TRIAGES,
    OFFERED & Q(attendant__isnull=True),
    better=-1,
)
WAIT = Figure(
    "repasses-espera",
    "Espera até alguém assumir (soma)",
    TRIAGES,
    OFFERED & Q(taken_at__isnull=False),
    total="wait",
    better=-1,
    drill=False,
)
TAKEN_COUNT = Figure(
    "repasses-assumidos",
    "Repasses assumidos",
    TRIAGES,
    OFFERED & Q(taken_at__isnull=False),
    better=0,
)
MEAN_WAIT = Ratio(
    "repasses-espera-media", "Espera média", WAIT.key, TAKEN_COUNT.key, better=-1, mean=True
)

CHANNELS = dict(Movimentacao.Channel.choices)

TRIAGE_SECTION = Section(
    slug="uma-ligacao",
    roles=ATTENDANTS,
    title="Vendas em uma ligação (S8)",
    note="Atendimentos receptivos iniciados no período e como cada um terminou até agora.",
    tiles=(
        STARTED,
        SOLD,
        ONE_CALL,
        MEAN_TO_SALE,
        PRICED,
        CLOSED,
        HANDOFFS,
        BY_OWNER,
        BY_TEAM,
        BY_NOBODY,
        MEAN_WAIT,
    ),
    figures=(TO_SALE, WAIT, TAKEN_COUNT),
    breakdowns=(
        Breakdown(
            "uma-ligacao-por-passo",
            "Por passo",
            ("route",),
            lambda v: PASSOS[v["route"]],
            (STARTED, SOLD, ONE_CALL, MEAN_TO_SALE),
        ),
        Breakdown(
            "uma-ligacao-por-canal",
            "Por canal",
            ("channel",),
            lambda v: CHANNELS.get(v["channel"], v["channel"]),
            (STARTED, SOLD, ONE_CALL, MEAN_TO_SALE),
        ),
        Breakdown(
            "uma-ligacao-por-atendente",
            "Por quem iniciou",
            user_group("started_by"),
            lambda v: person(v, "started_by"),
            (STARTED, SOLD, ONE_CALL),
            link="membro",
            team_only=True,
        ),
    ),
)
