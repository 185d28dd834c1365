"""G7: the central flow (tell the client, choose the ficha, merge) and the lossless merge."""

import datetime as dt
import threading

import pytest
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from model_bakery import baker

from onboarding.duplicates import (
    duplicate_case_choose_kept,
    duplicate_case_dismiss,
    duplicate_case_inform_client,
    duplicates_scan,
    ficha_detect_duplicates,
)
from onboarding.merge import duplicate_case_merge
from onboarding.models import DuplicateCase, MergeRecord
from onboarding.registration import ficha_edit
from tests.onboarding_fixtures import register
from tests.sales_fixtures import BITRIX, make_ficha
from workflows import timers
from workflows.agendamentos import agendamento_open
from workflows.models import (
    AgendamentoKind,
    AuditEntry,
    Boleto,
    Ficha,
    Movimentacao,
    Sale,
    Timer,
)
from workflows.movimentacoes import movimentacao_log
from workflows.overrides import override_record
from workflows.refusals import TransitionRefused
from workflows.roles import AGENT, CENTRAL, MANAGER, SELLER, SUPPORT
from workflows.selling import ficha_inactivate

pytestmark = pytest.mark.django_db


@pytest.fixture
def central(make_user):
    return make_user(CENTRAL, username="elisa", first_name="Elisa")


@pytest.fixture
def gestor(make_user):
    return make_user(MANAGER, username="gabriel")


@pytest.fixture
def seller(make_user):
    return make_user(AGENT, SELLER, username="ana")


def told(case, central):
    return duplicate_case_inform_client(
        case,
        actor=central,
        channel=Movimentacao.Channel.PHONE,
        outcome=Movimentacao.Outcome.TALKED,
        text="Informei a cliente que ela tem duas fichas no CP",
        bitrix_link=BITRIX,
        boleto_alert_given=True,
    )


def pair(**shared):
    old = register(name="Dra. Ana Souza", email="ana@adv.com.br", phone="(11) 3456-7890")
    new = register(name="Ana Souza", email="ANA@adv.com.br", phone="(11) 98765-1234", **shared)
    return old, new, DuplicateCase.objects.get()


def ready_case(central, kept_new=False):
    old, new, case = pair()
    case = told(case, central)
    case = duplicate_case_choose_kept(
        case, actor=central, kept=new if kept_new else old, answer="Cliente quer manter a antiga"
    )
    return old, new, case


def related_counts(ficha) -> dict[str, int]:
    """Every row of any model that points at `ficha` (FKs, M2M links, generic rows)."""
    counts = {}
    for field in Ficha._meta.get_fields(include_hidden=True):
        if field.is_relation and field.auto_created and not field.concrete:
            model, name = field.related_model, field.remote_field.name
            if model._meta.auto_created or name in getattr(model, "merge_keeps_in_place", ()):
                continue
            counts[f"{model._meta.label}.{name}"] = model._base_manager.filter(
                **{name: ficha}
            ).count()
    ct = ContentType.objects.get_for_model(Ficha)
    from django.apps import apps

    for model in apps.get_models():
        for gfk in model._meta.private_fields:
            if isinstance(gfk, GenericForeignKey):
                counts[model._meta.label] = model._base_manager.filter(
                    **{gfk.ct_field: ct, gfk.fk_field: str(ficha.pk)}
                ).count()
    counts["products"] = ficha.products.count()
    return counts


def furnish(ficha, seller, products, gestor):
    """Give a ficha one or more rows of every kind the sales domain hangs on a ficha."""
    movimentacao_log(
        ficha,
        author=seller,
        channel="phone",
        reason="offer",
        outcome="talked",
        text="Ofereci intimação",
        bitrix_link=BITRIX,
        boleto_alert_given=True,
    )
    agendamento_open(
        ficha,
        owner=seller,
        kind=AgendamentoKind.SALE_WITH_CONTACT,
        product=products["intimacao"],
        channel="phone",
        text="Orçamento enviado",
        bitrix_link=BITRIX,
        boleto_alert_given=True,
    )
    baker.make(Boleto, ficha=ficha, _quantity=2)
    baker.make(Sale, ficha=ficha, product=products["pesquisa"], seller=seller, total=10)
    ficha.products.add(products["pesquisa"])
    override_record(ficha, manager=gestor, rule_id="S7", reason="dívida negociada com o gestor")
    timers.arm(ficha, "lembrete", dt.datetime(2027, 5, 1, tzinfo=dt.UTC), "builtins.print")
    for model in ("workflows.DataChangeRequest", "workflows.Triage", "workflows.Orcamento"):
        baker.make(model, ficha=ficha)


def test_G7_full_flow_merge_moves_every_related_row(central, seller, gestor, products, clock):
    old, new, case = pair()
    furnish(old, seller, products, gestor)
    furnish(new, seller, products, gestor)
    new.products.add(products["integra"])
    ficha_inactivate(new, actor=seller, reason="cliente pediu para inativar")  # an audit row
    earlier = make_ficha(merged_into=new, status=Ficha.Status.MERGED)  # merged into it before

    case = told(case, central)
    assert case.state == DuplicateCase.State.CLIENT_INFORMED
    assert case.client_contact.ficha == new and case.client_contact.reason == "registration"
    case = duplicate_case_choose_kept(
        case, actor=central, kept=old, answer="Cliente quer manter a ficha antiga"
    )
    assert (case.state, case.kept, case.discarded) == ("kept_chosen", old, new)

    before_old, before_new = related_counts(old), related_counts(new)
    assert all(before_new[k] > 0 for k in ("workflows.AuditEntry", "workflows.Override"))
    assert before_new["workflows.Timer"] == 1
    assert before_new["workflows.Ficha.merged_into"] == 1
    new_ids = {
        "mov": set(new.movimentacoes.values_list("pk", flat=True)),
        "ag": set(new.agendamentos.values_list("pk", flat=True)),
        "bol": set(new.boletos.values_list("pk", flat=True)),
    }

    record = duplicate_case_merge(
        case,
        actor=central,
        choices={"name": "kept", "email": "discarded", "phone": "discarded"},
    )

    after_old, after_new = related_counts(old), related_counts(new)
    for key, count in before_new.items():
        if key == "products":
            continue
        itself = key == "workflows.Ficha.merged_into"  # the discarded ficha now points here too
        assert after_old[key] == before_old[key] + count + itself, key
        assert after_new[key] == (1 if key == "workflows.AuditEntry" else 0), key
    assert after_old["products"] == 2 and after_new["products"] == 2  # union; nothing removed
    assert new_ids["mov"] <= set(old.movimentacoes.values_list("pk", flat=True))
    assert new_ids["ag"] <= set(old.agendamentos.values_list("pk", flat=True))
    assert new_ids["bol"] <= set(old.boletos.values_list("pk", flat=True))
    earlier.refresh_from_db()
    assert earlier.merged_into == old

    new.refresh_from_db()
    old.refresh_from_db()
    assert (new.status, new.merged_into) == (Ficha.Status.MERGED, old)
    assert (old.name, old.email, old.phone) == (
        "Dra. Ana Souza",
        "ANA@adv.com.br",
        "(11) 98765-1234",
    )
    merge_audit = AuditEntry.for_object(new).get()
    assert (merge_audit.event, merge_audit.actor, merge_audit.rule_ids) == (
        "merge",
        central,
        ["G7"],
    )

    case.refresh_from_db()
    assert case.state == DuplicateCase.State.MERGED and case.closed_at == clock.now()
    # the merge can be inspected afterwards
    assert set(record.moved["workflows.Movimentacao.ficha"]) == new_ids["mov"]
    assert set(record.moved["workflows.Boleto.ficha"]) == new_ids["bol"]
    assert record.moved["workflows.Ficha.merged_into"] == [earlier.pk]
    assert len(record.moved["workflows.AuditEntry.target"]) == before_new["workflows.AuditEntry"]
    assert record.products_added == [products["integra"].pk]
    assert record.fields["email"] == {
        "kept_before": "ana@adv.com.br",
        "discarded": "ANA@adv.com.br",
        "after": "ANA@adv.com.br",
        "choice": "discarded",
    }
    assert record.fields["name"]["after"] == "Dra. Ana Souza"
    assert MergeRecord.objects.get() == record and record.moved_count > 10
    # nothing deleted
    assert Ficha.objects.count() == 3


def test_G7_timer_key_clash_keeps_both_timers(central, clock):
    old, new, case = ready_case(central)
    due = clock.now() + dt.timedelta(days=3)
    timers.arm(old, "lembrete", due, "builtins.print")
    timers.arm(new, "lembrete", due, "builtins.print")
    duplicate_case_merge(
        case, actor=central, choices={"name": "kept", "email": "kept", "phone": "kept"}
    )
    keys = sorted(Timer.for_object(old).values_list("key", flat=True))
    assert keys == ["lembrete", f"lembrete@ficha{new.pk}"]


def test_G7_merge_needs_a_choice_for_every_conflicting_field(central):
    old, new, case = ready_case(central)
    with pytest.raises(TransitionRefused, match="telefone"):
        duplicate_case_merge(case, actor=central, choices={"name": "kept", "email": "kept"})
    with pytest.raises(TransitionRefused, match="nome"):
        duplicate_case_merge(
            case, actor=central, choices={"name": "x", "email": "kept", "phone": "kept"}
        )
    assert Ficha.objects.get(pk=new.pk).status == Ficha.Status.ACTIVE
    assert not MergeRecord.objects.exists()


@pytest.mark.parametrize("roles", [(AGENT,), (AGENT, SELLER), (SUPPORT,)])
def test_G7_only_central_and_manager_may_merge(central, make_user, roles):
    old, new, case = ready_case(central)
    mov_count = Movimentacao.objects.filter(ficha=new).count()
    with pytest.raises(TransitionRefused, match="central"):
        duplicate_case_merge(
            case,
            actor=make_user(*roles),
            choices={"name": "kept", "email": "kept", "phone": "kept"},
        )
    for action in (
        lambda u: duplicate_case_choose_kept(case, actor=u, kept=old, answer="manter a antiga"),
        lambda u: duplicate_case_dismiss(case, actor=u, reason="são pessoas diferentes"),
        lambda u: told(case, u),
    ):
        with pytest.raises(TransitionRefused):
            action(make_user(*roles))
    assert Movimentacao.objects.filter(ficha=new).count() == mov_count
    assert Ficha.objects.get(pk=new.pk).status == Ficha.Status.ACTIVE
    case.refresh_from_db()
    assert case.state == DuplicateCase.State.KEPT_CHOSEN


def test_G7_manager_may_merge(central, gestor):
    old, new, case = ready_case(central, kept_new=True)
    duplicate_case_merge(
        case, actor=gestor, choices={"name": "kept", "email": "kept", "phone": "kept"}
    )
    old.refresh_from_db()
    assert (old.status, old.merged_into) == (Ficha.Status.MERGED, new)


def test_G7_merge_refused_before_client_is_told_and_ficha_chosen(central):
    old, new, case = pair()
    with pytest.raises(TransitionRefused, match="informe o cliente"):
        duplicate_case_merge(case, actor=central, choices={})
    with pytest.raises(TransitionRefused, match="Não é possível"):
        duplicate_case_choose_kept(case, actor=central, kept=old, answer="manter a antiga")
    stranger = make_ficha()
    case = told(case, central)
    with pytest.raises(TransitionRefused, match="uma das duas fichas"):
        duplicate_case_choose_kept(case, actor=central, kept=stranger, answer="manter a antiga")
    with pytest.raises(TransitionRefused, match="justificativa"):
        duplicate_case_choose_kept(case, actor=central, kept=old, answer="...")


def test_G7_failed_attempt_is_logged_and_case_stays_open(central):
    old, new, case = pair()
    case = duplicate_case_inform_client(
        case,
        actor=central,
        channel="phone",
        outcome=Movimentacao.Outcome.NO_ANSWER,
        text="Tentativa, cliente não atendeu",
    )
    assert case.state == DuplicateCase.State.OPEN
    assert new.movimentacoes.get().outcome == Movimentacao.Outcome.NO_ANSWER


def test_G7_inform_client_bad_input_writes_nothing(central):
    old, new, case = pair()
    for bad in [{"text": "..."}, {"bitrix_link": ""}, {"channel": "pombo"}]:
        fields = {
            "channel": "phone",
            "outcome": "talked",
            "text": "Informei a duplicidade",
            "bitrix_link": BITRIX,
            **bad,
        }
        with pytest.raises(TransitionRefused):
            duplicate_case_inform_client(case, actor=central, **fields)
    assert not Movimentacao.objects.exists()
    case.refresh_from_db()
    assert case.state == DuplicateCase.State.OPEN


def test_G7_dismiss_needs_a_reason_and_is_not_reopened(central):
    old, new, case = pair()
    with pytest.raises(TransitionRefused, match="justificativa"):
        duplicate_case_dismiss(case, actor=central, reason="   ")
    case = duplicate_case_dismiss(case, actor=central, reason="Dois advogados do mesmo escritório")
    assert case.state == DuplicateCase.State.DISMISSED
    ficha_detect_duplicates(
        new
    )  # detection again: the dismissed case is not reopened nor duplicated
    assert list(DuplicateCase.objects.all()) == [case]
    case.refresh_from_db()
    assert case.state == DuplicateCase.State.DISMISSED


def test_G7_other_cases_of_the_merged_ficha_are_closed(central, django_capture_on_commit_callbacks):
    old, new, case = ready_case(central)
    third = register(phone="11987651234")  # same phone as `new` only
    other = DuplicateCase.objects.get(ficha_a=new, ficha_b=third)
    with django_capture_on_commit_callbacks(execute=True):
        duplicate_case_merge(
            case, actor=central, choices={"name": "kept", "email": "kept", "phone": "discarded"}
        )
    other.refresh_from_db()
    assert other.state == DuplicateCase.State.SUPERSEDED
    # the kept ficha took the phone, so detection opened the case kept × third
    assert DuplicateCase.objects.get(ficha_a=old, ficha_b=third).matched_keys == ["phone"]


@pytest.mark.django_db(transaction=True)
def test_G7_two_merges_of_overlapping_cases_at_once_only_one_wins(make_user):
    central = make_user(CENTRAL)
    a = register(email="x@adv.com.br")
    b = register(email="x@adv.com.br")
    c = register(email="x@adv.com.br")
    ab = DuplicateCase.objects.get(ficha_a=a, ficha_b=b)
    bc = DuplicateCase.objects.get(ficha_a=b, ficha_b=c)
    ab = duplicate_case_choose_kept(
        told(ab, central), actor=central, kept=a, answer="manter a primeira"
    )
    bc = duplicate_case_choose_kept(
        told(bc, central), actor=central, kept=c, answer="manter a terceira"
    )
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(case):
        try:
            barrier.wait()
            duplicate_case_merge(case, actor=central, choices={})
            outcomes.append("won")
        except TransitionRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(x,)) for x in (ab, bc)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["refused", "won"]
    b.refresh_from_db()
    assert b.status == Ficha.Status.MERGED and b.merged_into in (a, c)
    assert MergeRecord.objects.count() == 1
    assert AuditEntry.for_object(b).filter(event="merge").count() == 1


@pytest.mark.django_db(transaction=True)
def test_G7_merge_under_concurrent_edit_of_the_discarded_ficha(make_user):
    central = make_user(CENTRAL)
    old, new, case = ready_case(central)
    barrier = threading.Barrier(2)
    outcomes = {}

    def merge():
        try:
            barrier.wait()
            duplicate_case_merge(
                case, actor=central, choices={"name": "kept", "email": "kept", "phone": "discarded"}
            )
            outcomes["merge"] = "won"
        finally:
            connection.close()

    def edit():
        try:
            barrier.wait()
            ficha_edit(new, {"phone": "(11) 91111-2222"}, actor=central)
            outcomes["edit"] = "won"
        except TransitionRefused:
            outcomes["edit"] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=merge), threading.Thread(target=edit)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes["merge"] == "won"
    record = MergeRecord.objects.get()
    old.refresh_from_db()
    new.refresh_from_db()
    assert new.status == Ficha.Status.MERGED
    if outcomes["edit"] == "won":  # the edit went first: the merge saw and took its value
        assert record.fields["phone"]["discarded"] == "+5511911112222"
        assert old.phone == "+5511911112222"
    else:  # the merge went first: the edit of a merged ficha is refused, nothing lost
        assert record.fields["phone"]["discarded"] == "(11) 98765-1234"
        assert new.phone == "(11) 98765-1234"
        assert old.phone == "(11) 98765-1234"


def test_G7_S2_clashing_reservations_are_kept_and_flagged_for_the_manager(
    central, make_user, products
):
    old, new, case = ready_case(central)
    ana, bruno = (
        make_user(AGENT, SELLER, first_name="Ana"),
        make_user(AGENT, SELLER, first_name="Bruno"),
    )
    for ficha, owner in [(old, ana), (new, bruno)]:
        agendamento_open(
            ficha,
            owner=owner,
            kind=AgendamentoKind.SALE_WITH_CONTACT,
            product=products["intimacao"],
            channel="phone",
            text="Orçamento enviado",
            bitrix_link=BITRIX,
        )
    record = duplicate_case_merge(
        case, actor=central, choices={"name": "kept", "email": "kept", "phone": "kept"}
    )
    assert old.agendamentos.filter(state="active").count() == 2
    assert record.warnings == [
        "Dois agendamentos com contato sobre Intimação (Ana, Bruno): o gestor decide quem fica "
        "com o cliente (S2, M1)."
    ]


def test_G7_merge_detects_on_the_kept_ficha_only_after_commit(
    central, django_capture_on_commit_callbacks
):
    old, new, case = ready_case(central)
    third = make_ficha(phone="11987651234")  # stored, never compared: `new`'s phone
    with django_capture_on_commit_callbacks() as callbacks:
        duplicate_case_merge(
            case, actor=central, choices={"name": "kept", "email": "kept", "phone": "discarded"}
        )
        assert not DuplicateCase.objects.filter(ficha_b=third).exists()  # not inside the merge
    assert not DuplicateCase.objects.filter(ficha_b=third).exists()  # nor before the commit
    for callback in callbacks:  # the commit
        callback()
    found = DuplicateCase.objects.get(ficha_b=third)
    assert (found.ficha_a, found.matched_keys, found.source) == (old, ["phone"], "edit")


def test_G7_merge_detects_after_commit_even_when_the_kept_ficha_did_not_change(
    central, django_capture_on_commit_callbacks
):
    """The scan pairs a group with its oldest ficha; merging that one away leaves the rest
    of the group to the detection that follows the merge."""
    a, b, c = (make_ficha(email="grupo@adv.com.br") for _ in range(3))
    duplicates_scan()
    ab = DuplicateCase.objects.get(ficha_a=a, ficha_b=b)
    ab = duplicate_case_choose_kept(
        told(ab, central), actor=central, kept=b, answer="manter a segunda"
    )
    with django_capture_on_commit_callbacks(execute=True):
        record = duplicate_case_merge(ab, actor=central, choices={})
    assert record.fields == {}  # nothing chosen, nothing saved on the kept ficha
    assert DuplicateCase.objects.get(ficha_a=a, ficha_b=c).state == "superseded"
    bc = DuplicateCase.objects.get(ficha_a=b, ficha_b=c)
    assert (bc.state, bc.matched_keys) == (DuplicateCase.State.OPEN, ["email"])


def test_G5_G7_merge_of_two_fichas_each_with_a_live_training_is_refused(central, make_user):
    from onboarding.models import TrainingBooking, TrainingSlot

    old, new, case = ready_case(central)
    carla = make_user(SUPPORT)
    for n, ficha in enumerate((old, new)):
        slot = baker.make(
            TrainingSlot,
            attendant=carla,
            published_by=carla,
            capacity=2,
            date=dt.date(2027, 4, 22 + n),
        )
        baker.make(TrainingBooking, slot=slot, ficha=ficha, booked_by=carla)
    choices = {"name": "kept", "email": "kept", "phone": "kept"}
    with pytest.raises(TransitionRefused, match="As duas fichas têm treinamento agendado"):
        duplicate_case_merge(case, actor=central, choices=choices)
    assert Ficha.objects.get(pk=new.pk).status == Ficha.Status.ACTIVE
    assert TrainingBooking.objects.filter(ficha=new).count() == 1

    TrainingBooking.objects.filter(ficha=new).update(state=TrainingBooking.State.CANCELLED)
    duplicate_case_merge(case, actor=central, choices=choices)
    assert TrainingBooking.objects.filter(ficha=old).count() == 2
