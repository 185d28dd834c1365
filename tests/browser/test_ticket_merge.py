"""Ticket merge clicked in Chromium (issue 21, item 9): a support agent merges the client's
second ticket into the first from the ticket page, reads on the confirmation exactly what will
move, lands on the kept ticket with the moved thread; the merged ticket shows its banner."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.test_tickets_trust import mail, receive
from tickets import conversation
from tickets.models import Ticket
from workflows.roles import SUPPORT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_journey_support_merges_two_tickets_of_one_problem_T4(session, make_user, clock):
    carla = make_user(SUPPORT, username="carla", first_name="Carla")
    assert receive(mail(subject="Intimações não chegam", message_id="<a1@lopes.adv>")) == (
        "new_ticket"
    )
    older = Ticket.objects.get()
    clock.advance(dt.timedelta(hours=1))
    raw = mail(subject="Ainda sem intimações", body="Continuo sem intimações hoje.")
    assert receive(raw) == "new_ticket"
    newer = Ticket.objects.exclude(pk=older.pk).get()
    conversation.ticket_note(newer, actor=carla, text="Robô do TJSP com erro 500.")

    page = session("carla").go(f"/suporte/chamados/{newer.pk}/")
    page.get_by_role("link", name="Mesclar com outro chamado").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Mesclar com outro chamado · #{newer.pk}"
    )
    page.get_by_role("radio", name=re.compile(rf"#{older.pk} Intimações não chegam")).check()
    page.get_by_role("button", name="Continuar").click()

    # The confirmation: the older ticket stays; exactly what moves; nothing saved yet.
    page.wait_for_url(re.compile(rf".*/chamados/{newer.pk}/mesclar/em/{older.pk}/$"))
    expect(page.locator("#mesclar-o-que-vai")).to_have_text("1 e-mail e 1 nota interna.")
    assert Ticket.objects.get(pk=newer.pk).state == Ticket.State.OPEN
    screenshot(page, "ticket-merge-confirm")
    page.get_by_label("Por que são o mesmo problema").fill("...")
    page.get_by_role("button", name=f"Mesclar #{newer.pk} em #{older.pk}").click()
    expect(page.locator(".field-error")).to_contain_text("Escreva por que os chamados são um só")
    page.get_by_label("Por que são o mesmo problema").fill("Mesmo problema das intimações")
    page.get_by_role("button", name=f"Mesclar #{newer.pk} em #{older.pk}").click()

    # On the kept ticket, with the moved thread.
    page.wait_for_url(re.compile(rf".*/chamados/{older.pk}/$"))
    expect(page.get_by_text(f"Chamado #{newer.pk} mesclado em #{older.pk}.")).to_be_visible()
    thread = page.locator("#conversa")
    expect(thread).to_contain_text("Continuo sem intimações hoje.")
    expect(thread).to_contain_text("Robô do TJSP com erro 500.")
    expect(thread).to_contain_text(
        f"Chamado #{newer.pk} mesclado em #{older.pk} por Carla: Mesmo problema das intimações"
    )
    screenshot(page, "ticket-merge-kept")

    # The merged ticket: its banner points to the kept one; no more actions.
    page.goto(page.url.replace(f"/chamados/{older.pk}/", f"/chamados/{newer.pk}/"))
    banner = page.locator("#mesclado")
    expect(banner).to_contain_text(f"Mesclado em #{older.pk}")
    expect(page.get_by_role("link", name="Mesclar com outro chamado")).to_have_count(0)
    banner.get_by_role("link", name=f"#{older.pk}").click()
    page.wait_for_url(re.compile(rf".*/chamados/{older.pk}/$"))
    assert Ticket.objects.get(pk=newer.pk).merged_into_id == older.pk
