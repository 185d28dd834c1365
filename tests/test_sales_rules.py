"""The sales rulebook (RULES.md G1–G4, G6, S1–S7, S9, M1), one or more tests per rule ID.

The clock fixture freezes Monday 19/04/2027 09:00 (São Paulo); Wednesday 21/04 is Tiradentes.
"""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from model_bakery import baker

from tests.conftest import at
from tests.sales_fixtures import BITRIX, contact, make_ficha
from workflows import timers
from workflows.agendamentos import (
    agendamento_conclude,
    agendamento_extend,
    agendamento_open,
    agendamento_renew,
    agendamento_validate,
    reserves_sale,
)
from workflows.availability import set_availability
from workflows.models import (
    Agendamento,
    AgendamentoKind,
    AuditEntry,
    Boleto,
    Ficha,
    Movimentacao,
    Override,
    Sale,
    Timer,
)
from workflows.movimentacoes import movimentacao_log
from workflows.ownership import may_sell
from workflows.refusals import TransitionRefused
from workflows.roles import AGENT, MANAGER, SELLER
from workflows.selling import (
    ficha_inactivate,
    ficha_inactivation_answer,
    ficha_sell,
    sale_settle_commission,
)

D = dt.date
WITH = AgendamentoKind.SALE_WITH_CONTACT
WITHOUT = AgendamentoKind.SALE_WITHOUT_CONTACT


@pytest.fixture
def gestor(make_user):
    return make_user(MANAGER, username="gestor")


def log(ficha, author, **overrides):
    fields = {
        "channel": "phone",
        "reason": "offer",
        "outcome": "talked",
        "text": "Ofereci intimação",
        "bitrix_link": BITRIX,
        **overrides,
    }
    return movimentacao_log(ficha, author=author, **fields)


def sale_of(ficha, product, seller, **kw):
    return ficha_sell(ficha, product, seller, data_confirmed=True, **kw)


# --- G1 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "...", "[...]", "…"])
def test_G1_placeholder_movimentacao_is_refused_and_writes_nothing(ficha, ana, text):
    with pytest.raises(TransitionRefused) as refused:
        log(ficha, ana, text=text)
    assert refused.value.rule_ids == ("G1",)
    assert not Movimentacao.objects.exists()


def test_G1_failed_call_is_logged_with_channel_reason_and_outcome(ficha, ana, clock):
    mov = log(
        ficha, ana, outcome="no_answer", text="Tentativa, cliente não atendeu", bitrix_link=""
    )
    assert (mov.channel, mov.reason, mov.outcome, mov.author) == (
        "phone",
        "offer",
        "no_answer",
        ana,
    )
    assert mov.at == clock.now()


def test_G1_unknown_channel_is_refused(ficha, ana):
    with pytest.raises(TransitionRefused, match="canal"):
        log(ficha, ana, channel="pombo-correio")


# --- G2 ---------------------------------------------------------------------------------


def test_G2_concluding_needs_a_movimentacao_that_says_what_was_done(ficha, ana, products, clock):
    ag = agendamento_open(ficha, owner=ana, kind=WITH, product=products["intimacao"], **contact())
    with pytest.raises(TransitionRefused) as refused:
        agendamento_conclude(ag, actor=ana, text="[...]")
    assert refused.value.rule_ids == ("G2",)
    assert Agendamento.objects.get(pk=ag.pk).state == "active"

    agendamento_conclude(ag, actor=ana, text="concluindo agendamento, abri ficha errada")
    ag.refresh_from_db()
    assert ag.state == "concluded"
    assert ag.movimentacoes.filter(text="concluindo agendamento, abri ficha errada").exists()
    assert Timer.for_object(ag).get().outcome == "cancelled"


def test_G2_only_owner_or_manager_concludes(ficha, ana, bruno, gestor, products):
    ag = agendamento_open(ficha, owner=ana, kind=WITH, product=products["intimacao"], **contact())
    with pytest.raises(TransitionRefused, match="Só o responsável"):
        agendamento_conclude(ag, actor=bruno, text="cliente já resolveu comigo")
    agendamento_conclude(ag, actor=gestor, text="gestor concluiu: cliente desistiu")
    assert Agendamento.objects.get(pk=ag.pk).state == "concluded"


# --- G3 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        "http://webplanet.bitrix24.com.br/crm/deal/details/1/",  # not https
        "https://evil.example.com/crm/deal/details/1/",  # other host
        "https://webplanet.bitrix24.com.br/marketplace/",  # unknown kind
        "https://webplanet.bitrix24.com.br/online/",  # conversation without dialog
        # Python reads the host after "@", browsers open evil.example:
        "https://evil.example\\@webplanet.bitrix24.com.br/crm/deal/details/1/",
        "https://user:pw@webplanet.bitrix24.com.br/crm/deal/details/1/",  # userinfo
        "https://webplanet.bitrix24.com.br:8443/crm/deal/details/1/",  # another port
        "https://webplanet.bitrix24.com.br/crm/deal/details/1/\\evil",  # backslash in the path
        "não tenho link",
    ],
)
def test_G3_bad_bitrix_link_is_refused(ficha, ana, link):
    with pytest.raises(TransitionRefused) as refused:
        log(ficha, ana, bitrix_link=link)
    assert refused.value.rule_ids == ("G3",)
    assert not Movimentacao.objects.exists()


@pytest.mark.parametrize(
    "link",
    [
        "https://webplanet.bitrix24.com.br/online/?IM_DIALOG=chat4412",
        "https://webplanet.bitrix24.com.br/company/personal/user/12/tasks/task/view/881/",
        "https://webplanet.bitrix24.com.br/crm/lead/details/77/",
        "https://webplanet.bitrix24.com.br/crm/type/128/details/5/",
    ],
)
def test_G3_bitrix_links_of_each_kind_are_accepted(ficha, ana, link):
    assert log(ficha, ana, bitrix_link=link).bitrix_link == link


def test_G3_first_interaction_of_a_tratativa_needs_the_link(ficha, ana, products):
    with pytest.raises(TransitionRefused, match="primeira interação"):
        log(ficha, ana, bitrix_link="")
    with pytest.raises(TransitionRefused) as refused:
        agendamento_open(
            ficha, owner=ana, kind=WITH, product=products["intimacao"], **contact(bitrix_link="")
        )
    assert refused.value.rule_ids == ("G3",)
    assert not Agendamento.objects.exists()
    ag = agendamento_open(ficha, owner=ana, kind=WITH, product=products["intimacao"], **contact())
    later = log(ficha, ana, bitrix_link="", agendamento=ag, text="Retorno: cliente analisando")
    assert later.bitrix_link == ""


# --- G4 ---------------------------------------------------------------------------------


def test_G4_open_boleto_contact_records_that_the_client_was_told(ficha, ana, clock):
    baker.make(Boleto, ficha=ficha, amount=Decimal("89.90"), due_date=D(2027, 4, 1))
    with pytest.raises(TransitionRefused) as refused:
        log(ficha, ana)
    assert refused.value.rule_ids == ("G4",)
    assert log(ficha, ana, boleto_alert_given=True).boleto_alert_given


def test_G4_sale_is_allowed_with_open_boletos_and_records_the_polite_charge(
    ficha, ana, products, clock
):
    baker.make(Boleto, ficha=ficha, amount=Decimal("89.90"), due_date=D(2027, 4, 1))
    with pytest.raises(TransitionRefused) as refused:
        sale_of(ficha, products["pesquisa"], ana)
    assert refused.value.rule_ids == ("G4",)
    sale = sale_of(ficha, products["pesquisa"], ana, boleto_charge_noted=True)
    assert sale.boleto_charge_noted
    mov = ficha.movimentacoes.get(reason="sale")
    assert "cobrado educadamente" in mov.text and mov.boleto_alert_given


# --- G6 ---------------------------------------------------------------------------------


def test_G6_only_the_five_agendamento_types_exist(ficha, ana, products):
    assert [label for _, label in AgendamentoKind.choices] == [
        "#venda/tratativas com contato",
        "#venda/tratativas sem contato",
        "#tratativas sem contato",
        "#onboarding 1º contato",
        "#suporte",
    ]
    with pytest.raises(TransitionRefused) as refused:
        agendamento_open(
            ficha, owner=ana, kind="#ligar depois", product=products["intimacao"], **contact()
        )
    assert refused.value.rule_ids == ("G6",)


# --- S2 ---------------------------------------------------------------------------------


def test_S2_with_contact_is_due_in_two_business_days_over_tiradentes(ficha, ana, products, clock):
    ag = agendamento_open(ficha, owner=ana, kind=WITH, product=products["intimacao"], **contact())
    assert ag.due_date == D(2027, 4, 22)  # Tue 20 (1), Wed 21 Tiradentes, Thu 22 (2)
    assert ag.summary == "#venda em andamento"
    assert ag.movimentacoes.get().text.startswith("#venda em andamento")
    assert reserves_sale(ag, at(2027, 4, 22, 23, 59))
    assert not reserves_sale(ag, at(2027, 4, 23, 0, 0))


def test_S2_deadlines_skip_sao_paulo_city_and_state_holidays(ficha, ana, products, clock):
    clock.freeze(at(2027, 1, 22, 10, 0))  # Fri; Mon 25/01 is the city's anniversary
    ag = agendamento_open(ficha, owner=ana, kind=WITH, product=products["intimacao"], **contact())
    assert ag.due_date == D(2027, 1, 27)  # Tue 26 (1), Wed 27 (2)
    clock.freeze(at(2027, 7, 8, 10, 0))  # Thu; Fri 09/07 is the state's holiday
    other = make_ficha()
    ag = agendamento_open(other, owner=ana, kind=WITH, product=products["intimacao"], **contact())
    assert ag.due_date == D(2027, 7, 13)  # Mon 12 (1), Tue 13 (2)


def test_S2_with_contact_renewal_caps_at_six_business_days(ficha, ana, products, clock):
    ag = agendamento_open(ficha, owner=ana, kind=WITH, product=products["intimacao"], **contact())
    clock.freeze(at(2027, 4, 22, 10))
    ag = agendamento_renew(ag, actor=ana)
    assert (ag.state, ag.due_date) == ("renewed", D(2027, 4, 28))  # 6 business days from 19/04
    with pytest.raises(TransitionRefused):
        agendamento_renew(ag, actor=ana)  # only once
    assert Agendamento.objects.get(pk=ag.pk).due_date == D(2027, 4, 28)
    assert Timer.for_object(ag).get().due_at == at(2027, 4, 29, 0, 0)


def test_S2_renewal_after_the_deadline_is_refused(ficha, ana, products, clock):
    ag = agendamento_open(ficha, owner=ana, kind=WITH, product=products["intimacao"], **contact())
    clock.freeze(at(2027, 4, 23, 8))
    with pytest.raises(TransitionRefused, match="já venceu"):
        agendamento_renew(ag, actor=ana)


def test_S2_without_contact_has_no_renewal_and_only_a_manager_extends(
    ficha, ana, gestor, products, clock
):
    ag = agendamento_open(
        ficha,
        owner=ana,
        kind=WITHOUT,
        product=products["intimacao"],
        **contact(text="Tentativa, cliente não atendeu", bitrix_link=""),
        outcome="no_answer",
    )
    assert ag.summary == "# Tentativa – contato suporte/retorno dúvida"
    with pytest.raises(TransitionRefused) as refused:
        agendamento_renew(ag, actor=ana)
    assert refused.value.rule_ids == ("S2", "M1")
    with pytest.raises(TransitionRefused, match="perfil"):
        agendamento_extend(ag, manager=ana, due_date=D(2027, 4, 30), reason="cliente viajando")
    with pytest.raises(TransitionRefused, match="justificativa"):
        agendamento_extend(ag, manager=gestor, due_date=D(2027, 4, 30), reason="...")
    ag = agendamento_extend(ag, manager=gestor, due_date=D(2027, 4, 30), reason="cliente viajando")
    assert ag.due_date == D(2027, 4, 30)
    assert Override.for_object(ag).get().rule_id == "S2"


def test_S2_without_contact_never_reserves_a_sale(ficha, ana, bruno, products, clock):
    agendamento_open(
        ficha,
        owner=ana,
        kind=WITHOUT,
        product=products["intimacao"],
        **contact(text="Liguei, não atendeu", bitrix_link=""),
        outcome="no_answer",
    )
    assert may_sell(ficha, products["intimacao"], bruno).allowed


def test_S2_expiry_is_driven_by_the_timer_not_by_a_page(ficha, ana, bruno, products, clock):
    ag = agendamento_open(ficha, owner=ana, kind=WITH, product=products["intimacao"], **contact())
    assert not may_sell(ficha, products["intimacao"], bruno)
    clock.freeze(at(2027, 4, 22, 23, 59))
    assert timers.sweep() == 0
    clock.freeze(at(2027, 4, 23, 0, 0))
    assert timers.sweep() == 1
    ag.refresh_from_db()
    assert ag.state == "expired"
    assert AuditEntry.for_object(ag).get(event="expire").rule_ids == ["S2"]
    decision = may_sell(ficha, products["intimacao"], bruno)
    assert decision.allowed and "quem atende resolve e vende" in decision.reason


def test_S2_more_than_seven_days_out_reserves_nothing_unless_a_manager_validates(
    ficha, ana, bruno, gestor, products, clock
):
    ag = agendamento_open(
        ficha,
        owner=ana,
        kind=WITH,
        product=products["intimacao"],
        scheduled_for=D(2027, 4, 27),
        **contact(),
    )
    assert not reserves_sale(ag)  # 8 days out
    assert may_sell(ficha, products["intimacao"], bruno).allowed
    ag = agendamento_validate(ag, manager=gestor, reason="cliente pediu retorno após viagem")
    assert ag.manager_validated and ag.due_date == D(2027, 4, 27)
    assert reserves_sale(ag)
    assert may_sell(ficha, products["intimacao"], bruno).route_to == ana


def test_S2_seven_days_out_still_reserves(ficha, ana, products, clock):
    ag = agendamento_open(
        ficha,
        owner=ana,
        kind=WITH,
        product=products["intimacao"],
        scheduled_for=D(2027, 4, 26),
        **contact(),
    )
    assert reserves_sale(ag, at(2027, 4, 20, 9))


def test_S2_onboarding_and_inactivation_agendamentos_never_reserve(
    ficha, ana, bruno, products, clock
):
    onboarding = agendamento_open(
        ficha,
        owner=ana,
        kind=AgendamentoKind.ONBOARDING,
        product=products["intimacao"],
        **contact(),
    )
    inactivation = agendamento_open(
        make_ficha(),
        owner=ana,
        kind=WITH,
        product=products["intimacao"],
        is_inactivation=True,
        **contact(),
    )
    assert not reserves_sale(onboarding) and not reserves_sale(inactivation)
    assert may_sell(ficha, products["intimacao"], bruno).allowed


def test_S2_agendamento_needs_a_product(ficha, ana):
    with pytest.raises(TransitionRefused, match="produto/serviço") as refused:
        agendamento_open(ficha, owner=ana, kind=WITH, product=None, **contact())
    assert refused.value.rule_ids == ("S2",)


def test_S2_live_agendamento_routes_the_sale_to_its_owner(ficha, ana, bruno, products, clock):
    agendamento_open(ficha, owner=ana, kind=WITH, product=products["intimacao"], **contact())
    decision = may_sell(ficha, products["intimacao"], bruno)
    assert (decision.allowed, decision.route_to, decision.rule_ids) == (False, ana, ("S2",))
    assert "22/04/2027" in decision.reason
    with pytest.raises(TransitionRefused):
        sale_of(ficha, products["intimacao"], bruno)
    assert not Sale.objects.exists()
    assert may_sell(ficha, products["intimacao"], ana).allowed


@pytest.mark.django_db(transaction=True)
def test_S2_two_agents_racing_to_reserve_the_same_client_only_one_wins(make_user):
    from workflows.models import Product

    product = Product.objects.create(code="intimacao", name="Intimação", unit_price=Decimal("89.9"))
    client = make_ficha()
    agents = [make_user(AGENT, SELLER), make_user(AGENT, SELLER)]
    barrier = threading.Barrier(2)
    outcomes = []

    def take(agent):
        try:
            barrier.wait()
            agendamento_open(client, owner=agent, kind=WITH, product=product, **contact())
            outcomes.append("won")
        except TransitionRefused as refused:
            outcomes.append(refused.rule_ids)
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(str, outcomes)) == sorted(["won", str(("S2",))])
    assert Agendamento.objects.filter(ficha=client).count() == 1


# --- S3 ---------------------------------------------------------------------------------


def test_S3_another_service_is_free_and_the_agendamento_stays_with_its_owner(
    ficha, ana, bruno, products, clock
):
    ag = agendamento_open(ficha, owner=ana, kind=WITH, product=products["intimacao"], **contact())
    decision = may_sell(ficha, products["pesquisa"], bruno)
    assert decision.allowed and decision.rule_ids == ("S3",)
    sale_of(ficha, products["pesquisa"], bruno)
    ag.refresh_from_db()
    assert (ag.state, ag.owner) == ("active", ana)


# --- S4 ---------------------------------------------------------------------------------


def test_S4_sale_concludes_the_sellers_agendamento_with_a_movimentacao(
    ficha, ana, bruno, products, clock
):
    ag = agendamento_open(ficha, owner=ana, kind=WITH, product=products["intimacao"], **contact())
    sale = sale_of(ficha, products["intimacao"], ana)
    ag.refresh_from_db()
    assert ag.state == "concluded"
    assert ag.movimentacoes.filter(text__contains="(S4)").exists()
    assert (sale.commission_to, sale.state) == (ana, "assigned")
    assert products["intimacao"] in ficha.products.all()
    # later upgrades belong to whoever attends
    assert may_sell(ficha, products["intimacao"], bruno).allowed


# --- S5 ---------------------------------------------------------------------------------


@pytest.fixture
def inactivated_by_ana(ficha, ana, clock):
    ficha_inactivate(ficha, actor=ana, reason="Sem uso há 6 meses, cliente pediu pausa")
    return ficha


def test_S5_answered_manual_inactivation_holds_for_15_days_to_the_inactivator(
    inactivated_by_ana, ana, bruno, products, clock
):
    ficha = inactivated_by_ana
    ficha_inactivation_answer(ficha, actor=ana, answer="Não tenho interesse neste momento")
    clock.freeze(at(2027, 5, 4, 18))  # day 15 after 19/04
    decision = may_sell(ficha, products["intimacao"], bruno)
    assert (decision.allowed, decision.route_to, decision.rule_ids) == (False, ana, ("S5",))
    assert may_sell(ficha, products["intimacao"], ana).allowed
    clock.freeze(at(2027, 5, 5, 8))  # day 16
    assert may_sell(ficha, products["intimacao"], bruno).allowed
    sale_of(ficha, products["intimacao"], bruno)
    ficha.refresh_from_db()
    assert ficha.status == Ficha.Status.ACTIVE


def test_S5_without_the_clients_answer_anyone_may_recontract(
    inactivated_by_ana, bruno, products, clock
):
    clock.freeze(at(2027, 4, 20, 9))
    decision = may_sell(inactivated_by_ana, products["intimacao"], bruno)
    assert decision.allowed and "S5" in decision.rule_ids


def test_S5_inactivation_answer_must_be_written(inactivated_by_ana, ana):
    with pytest.raises(TransitionRefused) as refused:
        ficha_inactivation_answer(inactivated_by_ana, actor=ana, answer="...")
    assert refused.value.rule_ids == ("S5",)


# --- S6 ---------------------------------------------------------------------------------


def test_S6_automatic_inactivation_anyone_may_recontract(ficha, bruno, products, clock):
    from workflows.engine import transition

    transition(ficha, "inactivate_automatically", actor=None, reason="inadimplência")
    decision = may_sell(ficha, products["intimacao"], bruno)
    assert decision.allowed and decision.rule_ids[0] == "S6"
    sale_of(ficha, products["intimacao"], bruno)
    assert Ficha.objects.get(pk=ficha.pk).status == Ficha.Status.ACTIVE


# --- S7 ---------------------------------------------------------------------------------


@pytest.fixture
def auto_inactive(ficha, clock):
    from workflows.engine import transition

    transition(ficha, "inactivate_automatically", actor=None, reason="inadimplência")
    return ficha


def test_S7_debt_exactly_one_year_old_is_not_waived(auto_inactive, bruno, products, clock):
    baker.make(Boleto, ficha=auto_inactive, amount=Decimal("120.00"), due_date=D(2026, 4, 19))
    decision = may_sell(auto_inactive, products["intimacao"], bruno)
    assert (decision.allowed, decision.rule_ids) == (False, ("S7",))
    assert "R$ 120,00" in decision.reason


def test_S7_debt_older_than_one_year_is_waived_and_no_discount_without_campaign(
    auto_inactive, bruno, products, clock
):
    old = baker.make(Boleto, ficha=auto_inactive, amount=Decimal("120"), due_date=D(2026, 4, 18))
    assert may_sell(auto_inactive, products["intimacao"], bruno).allowed
    with pytest.raises(TransitionRefused) as refused:
        sale_of(auto_inactive, products["intimacao"], bruno, discount=Decimal("10"))
    assert refused.value.rule_ids == ("S7",)
    assert Boleto.objects.get(pk=old.pk).waived_at is None  # nothing changed

    sale = sale_of(
        auto_inactive, products["intimacao"], bruno, discount=Decimal("10"), from_campaign=True
    )
    assert sale.debt_waived and sale.total == Decimal("79.90")
    assert Boleto.objects.get(pk=old.pk).waived_at == clock.now()


def test_S7_manager_override_lets_newer_debt_recontract(auto_inactive, bruno, gestor, products):
    from workflows.overrides import override_record

    baker.make(Boleto, ficha=auto_inactive, amount=Decimal("50"), due_date=D(2027, 3, 1))
    assert not may_sell(auto_inactive, products["intimacao"], bruno)
    override_record(auto_inactive, manager=gestor, rule_id="S7", reason="acordo de parcelamento")
    assert may_sell(auto_inactive, products["intimacao"], bruno).allowed


# --- S9 ---------------------------------------------------------------------------------


def test_S9_owner_on_vacation_another_seller_closes_and_gets_the_commission(
    ficha, ana, bruno, products, clock
):
    agendamento_open(ficha, owner=ana, kind=WITH, product=products["intimacao"], **contact())
    set_availability(ana, "vacation", D(2027, 4, 19), D(2027, 4, 30))
    sale = sale_of(ficha, products["intimacao"], bruno)
    assert (sale.commission_to, sale.commission_rule) == (bruno, "S9")
    assert AuditEntry.for_object(sale).get().rule_ids == ["S9"]


def test_S9_owner_absent_the_commission_goes_to_who_led_the_tratativa(
    ficha, ana, bruno, products, clock
):
    agendamento_open(ficha, owner=ana, kind=WITH, product=products["intimacao"], **contact())
    set_availability(ana, "absent")
    sale = sale_of(ficha, products["intimacao"], bruno)
    assert (sale.seller, sale.commission_to, sale.commission_rule) == (bruno, ana, "S9")


def test_S9_vacation_ended_owner_holds_again(ficha, ana, bruno, products, clock):
    agendamento_open(ficha, owner=ana, kind=WITH, product=products["intimacao"], **contact())
    set_availability(ana, "vacation", D(2027, 4, 1), D(2027, 4, 16))
    assert may_sell(ficha, products["intimacao"], bruno).route_to == ana


# --- S1 ---------------------------------------------------------------------------------


def test_S1_third_party_contracts_once_data_is_confirmed(ficha, bruno, products, clock):
    with pytest.raises(TransitionRefused) as refused:
        ficha_sell(ficha, products["pesquisa"], bruno)
    assert refused.value.rule_ids == ("S1",)
    sale = ficha_sell(
        ficha,
        products["pesquisa"],
        bruno,
        data_confirmed=True,
        contractor_name="Marcos (secretário do escritório)",
        contractor_email="marcos@adv.br",
    )
    assert sale.contractor_name.startswith("Marcos")
    assert "terceiro" in ficha.movimentacoes.get(reason="sale").text


def test_S1_double_clicked_sale_records_one_sale(ficha, bruno, products, clock):
    first = sale_of(ficha, products["pesquisa"], bruno, request_token="tok-1")
    second = sale_of(ficha, products["pesquisa"], bruno, request_token="tok-1")
    assert first.pk == second.pk and Sale.objects.count() == 1


# --- M1 ---------------------------------------------------------------------------------


def test_M1_contested_commission_is_settled_by_a_manager_with_reason(
    ficha, ana, bruno, gestor, products, clock
):
    sale = sale_of(ficha, products["pesquisa"], bruno, commission_flag="repasse do 1º passo")
    assert sale.state == "to_settle"
    with pytest.raises(TransitionRefused):
        sale_settle_commission(sale, manager=bruno, commission_to=bruno, reason="é minha")
    with pytest.raises(TransitionRefused, match="justificativa"):
        sale_settle_commission(sale, manager=gestor, commission_to=ana, reason="")
    sale = sale_settle_commission(
        sale, manager=gestor, commission_to=ana, reason="Ana fez a tratativa"
    )
    assert (sale.state, sale.commission_to) == ("settled", ana)
    assert Override.for_object(sale).get().reason == "Ana fez a tratativa"


def test_G7_a_merged_ficha_takes_no_new_movimentacao_or_agendamento(ficha, ana, products, clock):
    from workflows.movimentacoes import movimentacao_log

    kept = make_ficha(name="Dra. Mantida")
    Ficha.objects.filter(pk=ficha.pk).update(status=Ficha.Status.MERGED, merged_into=kept)
    with pytest.raises(TransitionRefused) as refused:
        movimentacao_log(ficha, author=ana, reason="follow_up", outcome="talked", **contact())
    assert refused.value.rule_ids == ("G7",) and f"nº {kept.pk}" in refused.value.message
    with pytest.raises(TransitionRefused):
        agendamento_open(ficha, owner=ana, kind=WITH, product=products["intimacao"], **contact())
    assert not Movimentacao.objects.filter(ficha=ficha).exists()
    assert not Agendamento.objects.filter(ficha=ficha).exists()
