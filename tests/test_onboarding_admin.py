"""G7 through the Django admin: the same explicit side effects as the pages."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from onboarding.models import DuplicateCase, Onboarding
from tests.onboarding_fixtures import register
from workflows.models import Ficha
from workflows.validators import cpf_with_check_digits


@pytest.fixture
def admin_client_(db):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "x")
    client = Client()
    client.force_login(user)
    return client


def admin_data(ficha, **changes):
    data = {
        "name": ficha.name,
        "document": ficha.document,
        "email": ficha.email,
        "phone": ficha.phone,
        "oab": ficha.oab,
        "lawyers": ficha.lawyers,
        "states": ficha.states,
        "beneficiaries": ficha.beneficiaries,
        "created_at_0": "19/04/2027",
        "created_at_1": "09:00:00",
        "boletos-TOTAL_FORMS": "0",
        "boletos-INITIAL_FORMS": "0",
        "boletos-MIN_NUM_FORMS": "0",
        "boletos-MAX_NUM_FORMS": "1000",
    }
    return {**data, **changes}


def test_G7_an_admin_edit_of_a_compared_field_is_compared_with_the_base(
    admin_client_, django_capture_on_commit_callbacks, clock
):
    register(name="Dra. Primeira", email="escritorio@adv.br")
    other = register(name="Dr. Segundo", email="outro@adv.br")
    url = reverse("admin:workflows_ficha_change", args=[other.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(url, admin_data(other, email="escritorio@adv.br"))
    assert response.status_code == 302
    assert DuplicateCase.objects.filter(state="open").count() == 1


def test_G7_a_ficha_added_in_the_admin_gets_its_onboarding(
    admin_client_, django_capture_on_commit_callbacks, clock
):
    blank = Ficha(name="Dra. Nova Cliente", document=cpf_with_check_digits("123456789"))
    url = reverse("admin:workflows_ficha_add")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(url, admin_data(blank))
    assert response.status_code == 302
    ficha = Ficha.objects.get(name="Dra. Nova Cliente")
    assert Onboarding.objects.filter(ficha=ficha).exists()
