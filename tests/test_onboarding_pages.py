"""G7 pages: registration, the central queue, the case page with the side-by-side merge."""

import pytest
from django.urls import reverse

from onboarding.models import DuplicateCase, MergeRecord, Onboarding
from tests.onboarding_fixtures import register
from tests.sales_fixtures import BITRIX, make_ficha
from workflows.models import Ficha, Movimentacao
from workflows.roles import AGENT, CENTRAL, MANAGER, SELLER
from workflows.validators import cpf_with_check_digits, format_document

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def central(make_user):
    return make_user(CENTRAL, first_name="Elisa")


def login(client, user):
    client.force_login(user)
    return client


def test_G7_registration_page_creates_ficha_and_flags_duplicate(client, make_user):
    make_ficha(email="ana@adv.com.br")
    login(client, make_user(AGENT, SELLER))
    page = client.get(reverse("onboarding:register"))
    assert "Novo cadastro" in page.content.decode()
    doc = format_document(cpf_with_check_digits("987654321"))
    response = client.post(
        reverse("onboarding:register"),
        {"name": "Ana Souza", "document": doc, "email": "ANA@adv.com.br", "phone": ""},
        follow=True,
    )
    ficha = Ficha.objects.get(name="Ana Souza")
    assert response.redirect_chain[-1][0] == reverse("ficha_detail", args=[ficha.pk])
    assert "encaminhado à central de cadastros" in response.content.decode()
    assert DuplicateCase.objects.get().ficha_b == ficha


def test_G7_registration_page_bad_input_shows_pt_br_errors_and_keeps_typing(client, make_user):
    login(client, make_user(AGENT))
    response = client.post(
        reverse("onboarding:register"),
        {"name": "Ana Souza", "document": "111.222.333-00", "phone": "1234"},
        **HTMX,
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "CPF ou CNPJ inválido" in body and "Telefone inválido" in body
    assert 'value="Ana Souza"' in body
    assert not Ficha.objects.exists()


def test_G7_queue_and_case_pages_are_for_central_and_managers_only(client, make_user):
    make_ficha(email="a@x.com.br")
    register(email="a@x.com.br")
    case = DuplicateCase.objects.get()
    login(client, make_user(AGENT, SELLER))
    assert client.get(reverse("onboarding:queue")).status_code == 403
    assert client.get(reverse("onboarding:case", args=[case.pk])).status_code == 403
    response = client.post(reverse("onboarding:case_dismiss", args=[case.pk]), {"reason": "não"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.state == DuplicateCase.State.OPEN
    for roles in [(CENTRAL,), (MANAGER,)]:
        login(client, make_user(*roles))
        page = client.get(reverse("onboarding:queue")).content.decode()
        assert f"#{case.pk}" in page and "e-mail" in page


def test_G7_case_pages_walk_the_whole_flow_to_a_merge(client, central):
    old = make_ficha(name="Dra. Ana", email="a@x.com.br", phone="(11) 3456-7890")
    new = register(name="Ana", email="A@x.com.br", phone="")
    case = DuplicateCase.objects.get()
    login(client, central)
    url = reverse("onboarding:case", args=[case.pk])
    page = client.get(url).content.decode()
    assert "Lado a lado" in page and "Informar o cliente" in page

    bad = client.post(
        reverse("onboarding:case_inform", args=[case.pk]),
        {"channel": "phone", "outcome": "talked", "text": "..."},
        **HTMX,
    )
    assert bad.status_code == 422 and "G1" in bad.content.decode()
    assert not Movimentacao.objects.exists()

    ok = client.post(
        reverse("onboarding:case_inform", args=[case.pk]),
        {
            "channel": "phone",
            "outcome": "talked",
            "text": "Expliquei que ela tem duas fichas",
            "bitrix_link": BITRIX,
        },
        **HTMX,
    )
    assert ok.status_code == 200 and ok.headers["HX-Redirect"] == url
    client.post(
        reverse("onboarding:case_choose", args=[case.pk]),
        {"kept": str(old.pk), "answer": "Quer manter a ficha antiga"},
    )
    page = client.get(url).content.decode()
    assert "Unificar na ficha" in page and 'name="choice_phone" value="discarded"' in page
    response = client.post(
        reverse("onboarding:case_merge", args=[case.pk]),
        {"choice_name": "kept", "choice_email": "discarded", "choice_phone": "kept"},
        follow=True,
    )
    assert "Fichas unificadas" in response.content.decode()
    record = MergeRecord.objects.get()
    body = response.content.decode()
    assert "Registros movidos" in body
    moved = len(record.moved["workflows.Movimentacao.ficha"])
    assert f"<tr><td>Movimentações</td><td>{moved}</td>" in body  # in the users' words
    assert "(workflows." not in body and "Movimentacao.ficha" not in body
    assert record.fields["email"]["after"] == "A@x.com.br"
    new.refresh_from_db()
    assert new.merged_into == old


def test_G7_merge_page_refuses_missing_choice_with_rule(client, central):
    make_ficha(name="Dra. Ana", email="a@x.com.br")
    register(name="Ana", email="a@x.com.br")
    case = DuplicateCase.objects.get()
    login(client, central)
    client.post(
        reverse("onboarding:case_inform", args=[case.pk]),
        {"channel": "chat", "outcome": "talked", "text": "Avisei no chat", "bitrix_link": BITRIX},
    )
    client.post(
        reverse("onboarding:case_choose", args=[case.pk]),
        {"kept": str(case.ficha_a_id), "answer": "manter a primeira"},
    )
    response = client.post(reverse("onboarding:case_merge", args=[case.pk]), {}, **HTMX)
    assert response.status_code == 422
    assert "Escolha qual valor manter" in response.content.decode()
    assert not MergeRecord.objects.exists()


def test_G7_onboarding_page_shows_checklist_and_walks_to_completion(client, make_user, products):
    ficha = register(name="Dra. Júlia")
    onboarding = ficha.onboardings.get()
    login(client, make_user(AGENT, SELLER))
    assert client.get(reverse("onboarding:ficha_onboarding", args=[ficha.pk])).url == reverse(
        "onboarding:onboarding", args=[onboarding.pk]
    )
    page = client.get(reverse("onboarding:onboarding", args=[onboarding.pk])).content.decode()
    for label in ("Habilitar intimação", "Ligação de onboarding", "Apresentar o sistema"):
        assert label in page
    assert "Dra. Júlia" in client.get(reverse("onboarding:onboarding_list")).content.decode()

    def act(action, data, **extra):
        return client.post(
            reverse("onboarding:onboarding_action", args=[onboarding.pk, action]), data, **extra
        )

    refused = act("feito", {"kind": "intimacao", "note": "..."}, **HTMX)
    assert refused.status_code == 422 and "justificativa" in refused.content.decode()
    assert act("feito", {"kind": "intimacao", "note": "Habilitei a intimação"}).status_code == 302
    bad_call = act(
        "ligacao",
        {
            "product": products["intimacao"].pk,
            "channel": "phone",
            "outcome": "talked",
            "text": "Boas-vindas feitas",
        },
        **HTMX,
    )
    assert bad_call.status_code == 422 and "G3" in bad_call.content.decode()
    assert "Boas-vindas feitas" in bad_call.content.decode()  # what was typed is kept
    act(
        "ligacao",
        {
            "product": products["intimacao"].pk,
            "channel": "phone",
            "outcome": "talked",
            "text": "Boas-vindas feitas",
            "bitrix_link": BITRIX,
        },
    )
    act(
        "dispensar",
        {"kind": "presentation", "note": "Cliente já usa o sistema em outro escritório"},
    )
    act("dispensar", {"kind": "training", "note": "Não quis treinamento"})
    for question in ("lawyers", "states", "beneficiaries"):
        act("upsell", {"question": question, "yes": "nao", "channel": "phone"})
    done = act("concluir", {}, **HTMX)
    assert done.status_code == 200 and "HX-Redirect" in done.headers
    onboarding.refresh_from_db()
    assert onboarding.state == "completed"
    assert dict(onboarding.steps.values_list("kind", "state")) == {
        "intimacao": "done",
        "call": "done",
        "presentation": "skipped",
        "training": "skipped",
        "upsell": "done",
    }


def test_G7_onboarding_page_refuses_completion_with_pending_steps(client, make_user):
    onboarding = register().onboardings.get()
    login(client, make_user(AGENT))
    response = client.post(
        reverse("onboarding:onboarding_action", args=[onboarding.pk, "concluir"]), **HTMX
    )
    assert response.status_code == 422 and "Pendente" in response.content.decode()
    assert Onboarding.objects.get().state == "in_progress"


def test_G7_onboarding_pages_need_an_attendant(client, make_user):
    onboarding = register().onboardings.get()
    login(client, make_user())
    assert client.get(reverse("onboarding:onboarding", args=[onboarding.pk])).status_code == 403
    response = client.post(
        reverse("onboarding:onboarding_action", args=[onboarding.pk, "feito"]),
        {"kind": "intimacao", "note": "Habilitei a intimação"},
    )
    assert response.status_code == 403
    assert onboarding.steps.get(kind="intimacao").state == "pending"


def test_G5_slots_page_publish_book_cancel(client, make_user, clock):
    import datetime as dt

    from onboarding.models import TrainingBooking, TrainingSlot
    from workflows.roles import SUPPORT

    carla = make_user(SUPPORT, first_name="Carla")
    login(client, carla)
    page = client.get(reverse("onboarding:slots")).content.decode()
    assert "Publicar horário" in page and "Nenhum horário publicado" in page
    bad = client.post(
        reverse("onboarding:slot_publish"),
        {"date": "2027-04-22", "shift": "manha", "attendant": carla.pk, "capacity": 0},
        **HTMX,
    )
    assert bad.status_code == 422 and "vagas" in bad.content.decode()
    assert not TrainingSlot.objects.exists()
    client.post(
        reverse("onboarding:slot_publish"),
        {"date": "2027-04-22", "shift": "manha", "attendant": carla.pk, "capacity": 1},
    )
    slot = TrainingSlot.objects.get()
    assert slot.date == dt.date(2027, 4, 22)

    ficha = make_ficha(name="Dra. Lia")
    seller = make_user(AGENT, SELLER)
    login(client, seller)
    page = client.get(reverse("onboarding:slots") + f"?ficha={ficha.pk}").content.decode()
    assert "Publicar horário" not in page and f'value="{ficha.pk}"' in page
    form = {"ficha": ficha.document, "channel": "phone", "text": "Combinado por telefone"}
    refused = client.post(reverse("onboarding:slot_book", args=[slot.pk]), form, **HTMX)
    assert refused.status_code == 422 and "G3" in refused.content.decode()
    assert "Combinado por telefone" in refused.content.decode()
    ok = client.post(
        reverse("onboarding:slot_book", args=[slot.pk]), {**form, "bitrix_link": BITRIX}
    )
    assert ok.status_code == 302
    booking = TrainingBooking.objects.get()
    assert booking.ficha == ficha
    page = client.get(reverse("onboarding:slots")).content.decode()
    assert "lotado" in page and "Dra. Lia" in page

    other = make_ficha()
    full = client.post(
        reverse("onboarding:slot_book", args=[slot.pk]),
        {"ficha": str(other.pk), "channel": "phone", "text": "Quer treinar", "bitrix_link": BITRIX},
        **HTMX,
    )
    assert full.status_code == 422 and "Não há mais vagas" in full.content.decode()

    client.post(
        reverse("onboarding:booking_action", args=[booking.pk, "cancelar"]),
        {"reason": "Cliente desmarcou", "channel": "phone"},
    )
    booking.refresh_from_db()
    assert booking.state == "cancelled"


def test_G5_publish_page_is_for_support_only(client, make_user, clock):
    from onboarding.models import TrainingSlot

    seller = make_user(AGENT, SELLER)
    login(client, seller)
    response = client.post(
        reverse("onboarding:slot_publish"),
        {"date": "2027-04-22", "shift": "manha", "attendant": seller.pk, "capacity": 2},
    )
    assert response.status_code == 403 and not TrainingSlot.objects.exists()


def test_G7_edit_page_changes_the_phone_and_runs_detection(client, make_user):
    make_ficha(phone="(21) 3456-7890")
    ficha = make_ficha(name="Dr. Caio")
    login(client, make_user(AGENT))
    page = client.get(reverse("onboarding:edit", args=[ficha.pk])).content.decode()
    assert "Editar ficha" in page and "S1" in page
    response = client.post(
        reverse("onboarding:edit", args=[ficha.pk]), {"phone": "2134567890"}, follow=True
    )
    assert "encaminhado à central" in response.content.decode()
    ficha.refresh_from_db()
    assert ficha.phone == "+552134567890"  # stored in E.164
    assert DuplicateCase.objects.get().matched_keys == ["phone"]


def test_G7_G5_demo_seed_fills_the_pages_and_runs_once(client):
    from django.core.management import call_command

    from onboarding.demo import seed_demo
    from onboarding.models import TrainingBooking, TrainingSlot

    call_command("demo_data", verbosity=0)  # calls seed_demo after the sales demo
    assert TrainingSlot.objects.count() == 4 and TrainingBooking.objects.count() == 1
    case = DuplicateCase.objects.get(state="open")
    assert set(case.matched_keys) == {"email", "phone", "oab"}
    assert seed_demo() is False
    assert TrainingSlot.objects.count() == 4
    from django.contrib.auth.models import User

    login(client, User.objects.get(username="elisa"))
    assert "Rafael Monteiro" in client.get(reverse("onboarding:queue")).content.decode()
