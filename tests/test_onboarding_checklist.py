"""G7: the onboarding checklist of every new registration."""

import pytest
from model_bakery import baker

from onboarding.checklist import (
    onboarding_call_log,
    onboarding_complete,
    onboarding_start,
    onboarding_step_done,
    onboarding_step_reopen,
    onboarding_step_skip,
    onboarding_upsell_answer,
)
from onboarding.models import Onboarding, OnboardingStep, UpsellAnswer
from onboarding.registration import ficha_onboard
from tests.onboarding_fixtures import register
from tests.sales_fixtures import BITRIX, make_ficha
from workflows.models import Agendamento, AgendamentoKind, AuditEntry, Boleto, Ficha, Movimentacao
from workflows.refusals import TransitionRefused
from workflows.roles import AGENT, SELLER, SUPPORT

pytestmark = pytest.mark.django_db

Kind = OnboardingStep.Kind


@pytest.fixture
def ana(make_user):
    return make_user(AGENT, SELLER, username="ana")


def states(onboarding):
    return dict(onboarding.steps.values_list("kind", "state"))


def call(onboarding, actor, products, outcome="talked", **kw):
    fields = {
        "product": products["intimacao"],
        "channel": "phone",
        "outcome": outcome,
        "text": "Liguei para dar as boas-vindas" if outcome == "talked" else "Não atendeu",
        "bitrix_link": BITRIX if outcome == "talked" else "",
        **kw,
    }
    return onboarding_call_log(onboarding, actor=actor, **fields)


def test_G7_every_new_ficha_starts_one_onboarding_idempotently():
    ficha = make_ficha()
    assert not Onboarding.objects.exists()  # a bare row: nothing runs by itself
    ficha_onboard(ficha)
    onboarding = Onboarding.objects.get()
    assert (onboarding.ficha, onboarding.origin, onboarding.state) == (ficha, ficha, "in_progress")
    assert list(onboarding.steps.values_list("kind", flat=True)) == OnboardingStep.ORDER
    assert set(states(onboarding).values()) == {"pending"}
    ficha_onboard(ficha)
    assert onboarding_start(ficha) == onboarding
    assert Onboarding.objects.count() == 1 and OnboardingStep.objects.count() == 5


def test_G7_manual_steps_need_a_note_and_evidence_steps_need_evidence(ana):
    onboarding = onboarding_start(make_ficha())
    with pytest.raises(TransitionRefused, match="justificativa"):
        onboarding_step_done(onboarding, Kind.INTIMACAO, actor=ana, note="...")
    onboarding_step_done(onboarding, Kind.INTIMACAO, actor=ana, note="Intimação habilitada no CP")
    step = onboarding.steps.get(kind=Kind.INTIMACAO)
    assert (step.state, step.by, step.note) == ("done", ana, "Intimação habilitada no CP")
    for kind in (Kind.CALL, Kind.TRAINING, Kind.UPSELL):
        with pytest.raises(TransitionRefused, match="G7|própri"):
            onboarding_step_done(onboarding, kind, actor=ana, note="feito sim")
    assert states(onboarding)[Kind.CALL] == "pending"


def test_G7_call_attempts_are_movimentacoes_inside_the_onboarding_agendamento(ana, products):
    ficha = register()
    onboarding = ficha.onboardings.get()
    call(onboarding, ana, products, outcome="no_answer")
    call(onboarding, ana, products, outcome="no_answer")
    onboarding.refresh_from_db()
    ag = onboarding.call_agendamento
    assert (ag.kind, ag.owner, ag.state) == (AgendamentoKind.ONBOARDING, ana, "active")
    assert ficha.agendamentos.count() == 1
    attempts = ficha.movimentacoes.filter(outcome=Movimentacao.Outcome.NO_ANSWER)
    assert attempts.count() == 2 and all(m.agendamento == ag for m in attempts)
    assert states(onboarding)[Kind.CALL] == "pending"

    call(onboarding, ana, products)
    assert states(onboarding)[Kind.CALL] == "done"
    ag.refresh_from_db()
    assert ag.state == Agendamento.State.CONCLUDED
    assert ficha.movimentacoes.count() == 4  # 3 attempts + the G2 conclusion
    with pytest.raises(TransitionRefused, match="já está registrada"):
        call(onboarding, ana, products)


def test_G7_call_that_reaches_client_needs_bitrix_link_and_boleto_alert(ana, products):
    ficha = register()
    baker.make(Boleto, ficha=ficha)
    onboarding = ficha.onboardings.get()
    with pytest.raises(TransitionRefused) as refused:
        call(onboarding, ana, products, bitrix_link="")
    assert refused.value.rule_ids == ("G3", "G4")  # every problem of the submit at once
    with pytest.raises(TransitionRefused) as refused:
        call(onboarding, ana, products)
    assert refused.value.rule_ids == ("G4",)
    assert not Movimentacao.objects.exists() and not Agendamento.objects.exists()
    call(onboarding, ana, products, boleto_alert_given=True)
    assert states(onboarding)[Kind.CALL] == "done"


def test_G7_upsell_records_each_answer_and_a_yes_may_open_a_sale_agendamento(ana, products):
    ficha = register()
    onboarding = ficha.onboardings.get()
    with pytest.raises(TransitionRefused, match="Descreva a oportunidade"):
        onboarding_upsell_answer(onboarding, actor=ana, question="lawyers", yes=True, details="")
    onboarding_upsell_answer(
        onboarding,
        actor=ana,
        question="lawyers",
        yes=True,
        details="Mais 3 advogados no escritório",
        follow_up_product=products["intimacao"],
        bitrix_link=BITRIX,
    )
    onboarding_upsell_answer(onboarding, actor=ana, question="states", yes=False)
    assert states(onboarding)[Kind.UPSELL] == "pending"
    onboarding_upsell_answer(
        onboarding, actor=ana, question="beneficiaries", yes=True, details="2 sócios"
    )
    assert states(onboarding)[Kind.UPSELL] == "done"

    lawyers = UpsellAnswer.objects.get(question="lawyers")
    assert lawyers.is_opportunity and lawyers.follow_up.kind == AgendamentoKind.SALE_WITH_CONTACT
    assert lawyers.follow_up.owner == ana and lawyers.follow_up.product == products["intimacao"]
    assert UpsellAnswer.objects.get(question="beneficiaries").follow_up is None
    note = onboarding.steps.get(kind=Kind.UPSELL).note
    assert "Tem mais advogados? sim" in note and "Atua em mais estados? não" in note


def test_G7_completion_needs_every_step_done_or_skipped_with_reason(ana, products):
    onboarding = register().onboardings.get()
    with pytest.raises(TransitionRefused, match="Pendente: Habilitar intimação"):
        onboarding_complete(onboarding, actor=ana)
    onboarding_step_done(onboarding, Kind.INTIMACAO, actor=ana, note="Intimação habilitada")
    call(onboarding, ana, products)
    onboarding_step_done(onboarding, Kind.PRESENTATION, actor=ana, note="Apresentei o sistema")
    with pytest.raises(TransitionRefused, match="justificativa"):
        onboarding_step_skip(onboarding, Kind.TRAINING, actor=ana, reason="  ")
    onboarding_step_skip(
        onboarding, Kind.TRAINING, actor=ana, reason="Cliente já conhece o sistema"
    )
    with pytest.raises(TransitionRefused, match="Pendente: Incluir mais produtos"):
        onboarding_complete(onboarding, actor=ana)
    for question in ("lawyers", "states", "beneficiaries"):
        onboarding_upsell_answer(onboarding, actor=ana, question=question, yes=False)
    onboarding_complete(onboarding, actor=ana)
    onboarding.refresh_from_db()
    assert onboarding.state == "completed" and onboarding.completed_at is not None
    audit = AuditEntry.for_object(onboarding).get()
    assert (audit.event, audit.rule_ids) == ("complete", ["G7"])
    # a completed onboarding is frozen
    with pytest.raises(TransitionRefused, match="concluído"):
        onboarding_step_reopen(
            onboarding, Kind.TRAINING, actor=ana, reason="quer treinamento agora"
        )


def test_G7_skipped_step_may_be_reopened_while_in_progress(ana):
    onboarding = register().onboardings.get()
    onboarding_step_skip(onboarding, Kind.PRESENTATION, actor=ana, reason="Cliente sem tempo hoje")
    onboarding_step_reopen(
        onboarding, Kind.PRESENTATION, actor=ana, reason="Cliente pediu a apresentação"
    )
    assert states(onboarding)[Kind.PRESENTATION] == "pending"


def test_G7_onboarding_needs_an_attendant_role(make_user, products):
    onboarding = register().onboardings.get()
    nobody = make_user()
    with pytest.raises(TransitionRefused):
        onboarding_step_done(onboarding, Kind.INTIMACAO, actor=nobody, note="Intimação habilitada")
    with pytest.raises(TransitionRefused):
        call(onboarding, nobody, products)
    with pytest.raises(TransitionRefused):
        onboarding_upsell_answer(onboarding, actor=nobody, question="states", yes=False)
    assert set(states(onboarding).values()) == {"pending"}
    support = make_user(SUPPORT)
    onboarding_step_done(onboarding, Kind.INTIMACAO, actor=support, note="Intimação habilitada")


def test_G7_merge_moves_onboarding_progress_to_the_kept_ficha(make_user, products, ana):
    from onboarding.duplicates import duplicate_case_choose_kept, duplicate_case_inform_client
    from onboarding.merge import duplicate_case_merge
    from onboarding.models import DuplicateCase
    from workflows.roles import CENTRAL

    central = make_user(CENTRAL)
    old = register(email="x@adv.com.br")
    new = register(email="x@adv.com.br")
    onboarding_step_done(
        new.onboardings.get(), Kind.INTIMACAO, actor=ana, note="Intimação habilitada"
    )
    case = DuplicateCase.objects.get()
    case = duplicate_case_inform_client(
        case, actor=central, channel="phone", outcome="talked", text="Avisei", bitrix_link=BITRIX
    )
    case = duplicate_case_choose_kept(case, actor=central, kept=old, answer="manter a antiga")
    duplicate_case_merge(case, actor=central, choices={})
    moved = Onboarding.objects.get(origin=new)
    assert moved.ficha == old and states(moved)[Kind.INTIMACAO] == "done"
    assert set(old.onboardings.all()) == {moved, Onboarding.objects.get(origin=old)}
    assert Ficha.objects.get(pk=new.pk).onboardings.count() == 0


def test_G7_upsell_yes_may_open_an_orcamento_with_the_opportunity(ana):
    ficha = register()
    onboarding = ficha.onboardings.get()
    answer = onboarding_upsell_answer(
        onboarding,
        actor=ana,
        question="states",
        yes=True,
        details="Atua também em MG e RJ",
        open_orcamento=True,
    )
    orcamento = answer.orcamento
    assert (orcamento.ficha, orcamento.author, orcamento.state) == (ficha, ana, "analysing")
    assert "Atua também em MG e RJ" in orcamento.demand
    no = onboarding_upsell_answer(
        onboarding, actor=ana, question="lawyers", yes=False, open_orcamento=True
    )
    assert no.orcamento is None  # a "no" is no opportunity


@pytest.mark.django_db(transaction=True)
def test_G7_two_first_call_attempts_at_once_open_one_onboarding_agendamento(make_user):
    import threading

    from django.db import connection

    from workflows.models import Product

    product = Product.objects.create(code="intimacao", name="Intimação", unit_price=10)
    onboarding = register().onboardings.get()
    agents = [make_user(AGENT), make_user(AGENT)]
    barrier = threading.Barrier(2)
    errors = []

    def attempt(agent):
        try:
            barrier.wait()
            onboarding_call_log(
                onboarding,
                actor=agent,
                product=product,
                channel="phone",
                outcome="no_answer",
                text="Tentativa, cliente não atendeu",
            )
        except Exception as error:  # noqa: BLE001 - any failure must fail the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    onboarding.refresh_from_db()
    assert (
        Agendamento.objects.count()
        == 1
        == Agendamento.objects.filter(pk=onboarding.call_agendamento_id).count()
    )
    assert Movimentacao.objects.filter(outcome="no_answer").count() == 2


def test_G7_imported_fichas_get_their_onboarding_from_the_command(clock):
    import io

    from django.core.management import CommandError, call_command

    from tests.conftest import at
    from workflows.validators import cpf_with_check_digits

    old = register()
    Ficha.objects.bulk_create(  # an import: written around the registration service
        [
            Ficha(
                name=f"Importada {n}",
                document=cpf_with_check_digits(f"55500000{n}"),
                created_at=at(2027, 4, 10 + n),
            )
            for n in range(3)
        ]
    )
    assert Onboarding.objects.count() == 1
    with pytest.raises(CommandError):
        call_command("start_onboardings")
    out = io.StringIO()
    call_command("start_onboardings", "--since", "2027-04-11", "--every", "1", stdout=out)
    assert "2 onboardings iniciados" in out.getvalue() and "1/2 fichas" in out.getvalue()
    call_command("start_onboardings", "--all", stdout=io.StringIO())
    assert Onboarding.objects.count() == 4
    assert OnboardingStep.objects.count() == 4 * 5
    assert old.onboardings.count() == 1
    call_command("start_onboardings", "--all", stdout=out)
    assert Onboarding.objects.count() == 4
