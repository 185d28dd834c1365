"""Medição of the central de cadastros (issue 19): new registrations and their onboarding
(completion rate and time), duplicates found and merged (G7), training seats booked against
the seats offered (G5).

Reading (the issue is silent): onboardings are counted in the period they STARTED in (a new
registration starts one), with what became of them as of now; duplicate cases in the period
they were DETECTED in; training seats by the day of the training (the slots of the period and
the bookings still live on them, held ones included), so "booked vs capacity" is the
occupation of the trainings given in the period.
"""

from django.db.models import DurationField, ExpressionWrapper, F, Q
from django.urls import reverse

from workflows.indicators import Breakdown, Column, Figure, Ratio, Section, Source
from workflows.indicators_sales import name_of, person, user_group
from workflows.roles import CENTRAL_TEAM

from .models import DuplicateCase, Onboarding, TrainingBooking, TrainingSlot

ON = Onboarding.State
DUP = DuplicateCase.State


def _onboardings():
    return Onboarding.objects.annotate(
        duration=ExpressionWrapper(
            F("completed_at") - F("started_at"), output_field=DurationField()
        )
    )


ONBOARDINGS = Source(
    slug="cadastros",
    queryset=_onboardings,
    when="started_at",
    member="registered_by",
    list_related=("ficha", "registered_by"),
    link=lambda o: reverse("onboarding:onboarding", args=[o.pk]),
    columns=(
        Column("Início", lambda o: o.started_at, "datetime"),
        Column("Ficha", lambda o: o.ficha.name),
        Column("Cadastrado por", lambda o: name_of(o.registered_by) if o.registered_by_id else ""),
        Column("Situação", lambda o: o.get_state_display()),
        Column("Concluído em", lambda o: o.completed_at, "datetime"),
    ),
)
STARTED = Figure("cadastros", "Novos cadastros (onboarding iniciado)", ONBOARDINGS, better=1)
COMPLETED = Figure(
    "cadastros-concluidos", "Onboarding concluído", ONBOARDINGS, Q(state=ON.COMPLETED)
)
DURATION = Figure(
    "cadastros-duracao",
    "Tempo do onboarding (soma)",
    ONBOARDINGS,
    Q(state=ON.COMPLETED),
    total="duration",
    better=-1,
    drill=False,
)

DUPLICATES = Source(
    slug="duplicidades",
    queryset=DuplicateCase.objects.all,
    when="detected_at",
    member=None,
    list_related=("ficha_a", "ficha_b"),
    link=lambda c: reverse("onboarding:case", args=[c.pk]),
    columns=(
        Column("Detectado em", lambda c: c.detected_at, "datetime"),
        Column("Ficha mais antiga", lambda c: c.ficha_a.name),
        Column("Ficha mais nova", lambda c: c.ficha_b.name),
        Column("Origem", lambda c: c.get_source_display()),
        Column("Situação", lambda c: c.get_state_display()),
        Column("Encerrado em", lambda c: c.closed_at, "datetime"),
    ),
)
DUP_FOUND = Figure("duplicidades", "Duplicidades encontradas (G7)", DUPLICATES, better=0)
DUP_MERGED = Figure("duplicidades-unificadas", "Unificadas", DUPLICATES, Q(state=DUP.MERGED))
DUP_DISMISSED = Figure(
    "duplicidades-descartadas",
    "Descartadas: não eram duplicidade",
    DUPLICATES,
    Q(state=DUP.DISMISSED),
    better=0,
)
DUP_OPEN = Figure(
    "duplicidades-abertas", "Ainda abertas", DUPLICATES, Q(state__in=DuplicateCase.LIVE), better=-1
)

SLOTS = Source(
    slug="treinamentos",
    queryset=TrainingSlot.objects.all,
    when="date",
    dated=True,
    member="attendant",
    list_related=("attendant",),
    link=lambda s: reverse("onboarding:slots"),
    columns=(
        Column("Dia", lambda s: s.date, "date"),
        Column("Turno", lambda s: s.get_shift_display()),
        Column("Atendente", lambda s: name_of(s.attendant)),
        Column("Vagas", lambda s: s.capacity, "int"),
    ),
)
SEATS = Figure("treinamentos-vagas", "Vagas oferecidas (G5)", SLOTS, total="capacity")

BOOKINGS = Source(
    slug="treinamentos-agendados",
    queryset=lambda: TrainingBooking.objects.exclude(state=TrainingBooking.State.CANCELLED),
    when="slot__date",
    dated=True,
    member="slot__attendant",
    list_related=("slot", "ficha", "booked_by"),
    link=lambda b: reverse("onboarding:slots"),
    columns=(
        Column("Dia", lambda b: b.slot.date, "date"),
        Column("Turno", lambda b: b.slot.get_shift_display()),
        Column("Ficha", lambda b: b.ficha.name),
        Column("Agendado por", lambda b: name_of(b.booked_by)),
        Column("Situação", lambda b: b.get_state_display()),
    ),
)
BOOKED = Figure("treinamentos-agendados", "Vagas ocupadas", BOOKINGS)

CADASTROS_SECTION = Section(
    slug="cadastros",
    roles=CENTRAL_TEAM,
    title="Cadastros",
    note=(
        "Cadastros e duplicidades do período e o que aconteceu com eles até agora; "
        "treinamentos pelo dia em que acontecem. As duplicidades são da equipe toda. Não têm "
        "produto: o filtro de produto não se aplica."
    ),
    tiles=(
        STARTED,
        COMPLETED,
        Ratio("cadastros-conclusao", "Taxa de conclusão", COMPLETED.key, STARTED.key),
        Ratio(
            "cadastros-tempo-medio",
            "Tempo médio do onboarding",
            DURATION.key,
            COMPLETED.key,
            better=-1,
            mean=True,
        ),
        DUP_FOUND,
        DUP_MERGED,
        DUP_DISMISSED,
        DUP_OPEN,
        SEATS,
        BOOKED,
        Ratio("treinamentos-ocupacao", "Ocupação dos treinamentos", BOOKED.key, SEATS.key, 0),
    ),
    figures=(DURATION,),
    breakdowns=(
        Breakdown(
            "cadastros-por-pessoa",
            "Cadastros por pessoa",
            user_group("registered_by"),
            lambda v: person(v, "registered_by") if v["registered_by"] else "Sem registro",
            (STARTED, COMPLETED),
            link="membro",
            team_only=True,
        ),
        Breakdown(
            "duplicidades-por-origem",
            "Duplicidades por origem",
            ("source",),
            lambda v: DuplicateCase.Source(v["source"]).label,
            (DUP_FOUND, DUP_MERGED, DUP_DISMISSED),
        ),
    ),
)
