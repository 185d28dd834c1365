"""The support demo data goes through the services and can run twice."""

import pytest
from django.core.management import call_command

from tickets import demo
from tickets.models import Architect, Romaneio, RoutineCheck, Ticket
from workflows.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_T4_T8_demo_data_tells_the_support_story_once(clock):
    call_command("demo_data", verbosity=0)
    demo.seed()
    demo.seed()
    assert Ticket.objects.count() == 3
    assert set(Ticket.objects.values_list("state", flat=True)) == {
        "aberto",
        "em_analise",
        "aguardando_cliente",
    }
    assert AuditEntry.objects.filter(content_type__app_label="tickets").count() == 3
    assert (Architect.objects.count(), Romaneio.objects.count()) == (2, 1)
    assert RoutineCheck.objects.get().user.username == "carla"


def test_T8_every_support_page_renders_for_the_demo_team(clock, client):
    from django.contrib.auth.models import User
    from django.urls import reverse

    call_command("demo_data", verbosity=0)
    demo.seed()
    ticket = Ticket.objects.order_by("pk").first()
    romaneio = Romaneio.objects.get()
    architect = Architect.objects.first()
    pages = {
        "carla": [
            reverse("tickets:routine"),
            reverse("tickets:list"),
            reverse("tickets:create"),
            reverse("tickets:detail", args=[ticket.pk]),
            reverse("tickets:action", args=[ticket.pk, "respond"]),
            reverse("tickets:github_open", args=[ticket.pk]),
            reverse("tickets:queue"),
            reverse("tickets:review"),
            reverse("tickets:inbox"),
            reverse("tickets:github_board"),
            reverse("tickets:architects"),
            reverse("tickets:architect", args=[architect.pk]),
            reverse("tickets:romaneios"),
            reverse("tickets:romaneio", args=[romaneio.pk]),
            reverse("tickets:romaneio_edit", args=[romaneio.pk]),
            reverse("tickets:romaneio_create"),
        ],
        "gabriel": [reverse("tickets:routine_team")],
    }
    for username, urls in pages.items():
        client.force_login(User.objects.get(username=username))
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert "<h1>" in response.content.decode(), url
