"""S1: third-party contracting and sensitive-data changes validated by the holder."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client

from tests.sales_fixtures import make_ficha
from workflows import timers
from workflows.models import DataChangeRequest, Ficha
from workflows.refusals import TransitionRefused
from workflows.roles import AGENT, SELLER
from workflows.selling import ficha_sell
from workflows.third_party import data_change_propose, holder_token


@pytest.fixture
def agent(make_user):
    return make_user(AGENT, SELLER)


@pytest.fixture
def titular(db):
    return make_ficha(name="Dra. Helena Prado", email="helena@prado.adv.br", oab="SP 111.222")


def propose(ficha, agent, **kw):
    fields = {"field": "email", "new_value": "novo@escritorio.com.br", "third_party": "Sócio Jorge"}
    return data_change_propose(ficha, actor=agent, **{**fields, **kw})


def link_in(message) -> str:
    return re.search(r"http://\S+/validar/\S+/", message.body).group(0)


def test_S1_sensitive_change_by_third_party_stays_pending_and_mails_the_holder(
    titular, agent, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change = propose(titular, agent)
    assert change.state == "pending"
    assert Ficha.objects.get(pk=titular.pk).email == "helena@prado.adv.br"  # unchanged
    (message,) = mail.outbox
    assert message.to == ["helena@prado.adv.br"]
    assert "Sócio Jorge" in message.body and "novo@escritorio.com.br" in message.body


def test_S1_holder_confirms_through_the_signed_link(titular, agent, clock):
    change = propose(titular, agent)
    client = Client()
    url = f"/validar/{holder_token(change)}/"
    page = client.get(url).content.decode()
    assert "Confirmar alteração" in page and "novo@escritorio.com.br" in page
    done = client.post(url, {"decision": "confirm"}).content.decode()
    assert "Seus dados foram atualizados" in done
    assert Ficha.objects.get(pk=titular.pk).email == "novo@escritorio.com.br"
    assert DataChangeRequest.objects.get(pk=change.pk).state == "confirmed"
    again = client.post(url, {"decision": "reject"})  # a second click changes nothing
    assert DataChangeRequest.objects.get(pk=change.pk).state == "confirmed"
    assert again.status_code == 422  # refused, and the page says why


def test_S1_holder_rejects_and_nothing_changes(titular, agent, clock):
    change = propose(titular, agent, field="document", new_value="529.982.247-25")
    Client().post(f"/validar/{holder_token(change)}/", {"decision": "reject"})
    assert Ficha.objects.get(pk=titular.pk).document == titular.document
    assert DataChangeRequest.objects.get(pk=change.pk).state == "rejected"


def test_S1_tampered_or_expired_link_is_refused(titular, agent, clock):
    change = propose(titular, agent)
    token = holder_token(change)
    assert Client().get(f"/validar/{token}x/").status_code == 400
    clock.advance(dt.timedelta(hours=72, minutes=1))
    assert timers.sweep() == 1
    assert DataChangeRequest.objects.get(pk=change.pk).state == "expired"
    response = Client().post(f"/validar/{token}/", {"decision": "confirm"})
    assert "expirou" in response.content.decode()
    assert Ficha.objects.get(pk=titular.pk).email == "helena@prado.adv.br"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"field": "phone"}, "dado sensível"),
        ({"third_party": "..."}, "terceiro"),
        ({"field": "document", "new_value": "123.456.789-00"}, "CPF ou CNPJ inválido"),
        ({"new_value": "não é e-mail"}, "email válido"),
        ({"new_value": "helena@prado.adv.br"}, "igual ao atual"),
    ],
)
def test_S1_bad_change_requests_are_refused_and_write_nothing(titular, agent, fields, message):
    with pytest.raises(TransitionRefused, match=message):
        propose(titular, agent, **fields)
    assert not DataChangeRequest.objects.exists()


def test_S1_contract_copy_goes_to_contractor_and_administrator(
    titular, agent, products, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ficha_sell(
            titular,
            products["pesquisa"],
            agent,
            data_confirmed=True,
            contractor_name="Jorge (sócio)",
            contractor_email="jorge@prado.adv.br",
        )
    (message,) = mail.outbox
    assert sorted(message.to) == ["helena@prado.adv.br", "jorge@prado.adv.br"]
    assert "Pesquisa processual" in message.body and "R$ 24,90" in message.body
    assert "Jorge (sócio)" in message.body
