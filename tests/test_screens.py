"""Every screen in the users' words: labels from the machines' declarations, people's names."""

from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from workflows.models import Ficha
from workflows.roles import AGENT, MANAGER, SELLER
from workflows.selling import ficha_inactivate


def test_M1_S5_history_reads_as_the_users_say_it(ficha, make_user, clock):
    ana = make_user(AGENT, SELLER, username="ana", first_name="Ana", last_name="Souza")
    ficha_inactivate(ficha, actor=ana, reason="cliente pediu para cancelar")
    client = Client()
    client.force_login(make_user(MANAGER))
    ct = ContentType.objects.get_for_model(Ficha)
    page = client.get(reverse("history", args=[ct.pk, ficha.pk])).content.decode()
    assert "<td>Inativar manualmente</td>" in page
    assert "Ativo → Inativado manualmente" in page
    assert "Ana Souza" in page
    for code in ("inactivate_manually", "inactive_manual", ">ana<", "FichaFlow</"):
        assert code not in page


def test_G1_G3_G4_a_movimentacao_form_shows_every_problem_at_once_on_its_field(
    ficha, make_user, clock
):
    import datetime as dt
    from decimal import Decimal

    from workflows.models import Boleto, Movimentacao

    Boleto.objects.create(
        ficha=ficha, number="B-1", amount=Decimal("89.90"), due_date=dt.date(2027, 4, 1)
    )
    client = Client()
    client.force_login(make_user(AGENT))
    typed = {"channel": "phone", "reason": "sale", "outcome": "talked", "text": "..."}
    response = client.post(reverse("add_movimentacao", args=[ficha.pk]), typed)
    page = response.content.decode()
    assert response.status_code == 422
    assert page.count('class="field-error"') == 3  # text (G1), Bitrix link (G3), boletos (G4)
    for rule in ("(G1)", "(G3)", "(G4)"):
        assert rule in page
    assert "...</textarea>" in page  # what was typed is kept
    assert not Movimentacao.objects.filter(ficha=ficha).exists()
