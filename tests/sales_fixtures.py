"""Shared builders for the sales-rule tests."""

import itertools
from decimal import Decimal

import pytest
from model_bakery import baker

from onboarding.duplicates import refresh_keys
from workflows.models import Ficha, Movimentacao, Product
from workflows.roles import AGENT, MANAGER, SELLER
from workflows.validators import cpf_with_check_digits

BITRIX = "https://webplanet.bitrix24.com.br/crm/deal/details/4821/"
_documents = itertools.count(100_000_001)


def make_ficha(**fields) -> Ficha:
    """A ficha row with its stored search keys (found by the ficha search, compared by later
    registrations); no onboarding and no duplicate detection of its own: for those, register
    it (`tests.onboarding_fixtures.register`)."""
    fields.setdefault("document", cpf_with_check_digits(str(next(_documents))))
    fields.setdefault("name", "Dra. Teste da Silva")
    ficha = baker.make(Ficha, **fields)
    refresh_keys(ficha)
    return ficha


@pytest.fixture
def products(db):
    return {
        code: Product.objects.create(code=code, name=name, unit_price=Decimal(price))
        for code, name, price in [
            ("intimacao", "Intimação", "89.90"),
            ("pesquisa", "Pesquisa processual", "24.90"),
            ("integra", "Plano Integra", "349.00"),
        ]
    }


@pytest.fixture
def ficha(db):
    return make_ficha()


def contact(**overrides) -> dict:
    """The movimentação fields of a normal phone contact that reached the client."""
    return {
        "channel": Movimentacao.Channel.PHONE,
        "text": "Cliente pediu proposta de intimação para 3 advogados",
        "bitrix_link": BITRIX,
        **overrides,
    }


# The team most tests meet: two sellers and a manager (a test file needing other roles for one
# of them declares its own fixture of that name).
@pytest.fixture
def ana(make_user):
    return make_user(AGENT, SELLER, username="ana", first_name="Ana")


@pytest.fixture
def bruno(make_user):
    return make_user(AGENT, SELLER, username="bruno", first_name="Bruno")


@pytest.fixture
def gestor(make_user):
    return make_user(MANAGER, username="gestor", first_name="Gestora")
