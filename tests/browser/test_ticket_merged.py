"""T4 after a merge, clicked in Chromium: an agent who had the merged ticket open and was typing
a note is refused with the kept ticket's number and keeps the text; reloaded, the page offers no
editor; the list leaves the merged ticket out until the status filter "Mesclado" or its number
asks for it."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.test_tickets_trust import mail, receive
from tickets import merge
from tickets.models import Ticket, TicketNote
from workflows.roles import SUPPORT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_journey_a_note_typed_on_a_ticket_merged_meanwhile_is_refused_and_kept_T4(
    session, make_user, clock
):
    carla = make_user(SUPPORT, username="carla", first_name="Carla")
    make_user(SUPPORT, username="davi", first_name="Davi")
    assert receive(mail(subject="Intimações não chegam", message_id="<m1@lopes.adv>")) == (
        "new_ticket"
    )
    kept = Ticket.objects.get()
    clock.advance(dt.timedelta(hours=1))
    assert receive(mail(subject="Ainda sem intimações", body="Continuo sem nada.")) == (
        "new_ticket"
    )
    merged = Ticket.objects.exclude(pk=kept.pk).get()

    # Davi has the newer ticket open and types a note …
    davi = session("davi")
    page = davi.go(f"/suporte/chamados/{merged.pk}/")
    editor = page.locator("#form-resposta")
    editor.get_by_label("Mensagem").fill("Liguei para o cliente: o robô do TJSP parou.")
    # … while Carla merges it into the older one.
    merge.ticket_merge(merged, kept, actor=carla, reason="Mesmo problema das intimações")

    editor.get_by_role("button", name="Nota interna").click()
    refusal = f"Este chamado foi mesclado com o #{kept.pk}: escreva no chamado mantido."
    expect(page.get_by_text(refusal).first).to_be_visible()
    expect(editor.get_by_label("Mensagem")).to_have_value(
        "Liguei para o cliente: o robô do TJSP parou."
    )
    assert not TicketNote.objects.filter(text__contains="Liguei para o cliente").exists()
    screenshot(page, "ticket-merged-note-refused")

    # Reloaded: the banner and the message instead of the editor.
    page.reload()
    expect(page.locator("#mesclado")).to_contain_text(f"Mesclado em #{kept.pk}")
    expect(page.get_by_text(refusal)).to_be_visible()
    expect(page.locator("#form-resposta")).to_have_count(0)

    # The list: the merged ticket is out of "Todos" …
    davi.go("/suporte/chamados/?visao=todos")
    expect(page.locator(f"#chamado-{kept.pk}")).to_be_visible()
    expect(page.locator(f"#chamado-{merged.pk}")).to_have_count(0)
    # … shown by the status filter "Mesclado" …
    page.get_by_label("Status").select_option(label="Mesclado")
    page.get_by_role("button", name="Filtrar").click()
    expect(page.locator(f"#chamado-{merged.pk}")).to_be_visible()
    expect(page.locator(f"#chamado-{kept.pk}")).to_have_count(0)
    # … and by its number in the search.
    page.get_by_label("Status").select_option(label="Todos")
    page.get_by_label("Buscar por número, assunto, cliente ou ficha").fill(f"#{merged.pk}")
    page.get_by_role("button", name="Filtrar").click()
    expect(page.locator(f"#chamado-{merged.pk}")).to_be_visible()
    page.locator(f"#chamado-{merged.pk}").get_by_role(
        "link", name=re.compile("Ainda sem intimações")
    ).click()
    page.wait_for_url(re.compile(rf".*/chamados/{merged.pk}/$"))
    assert davi.console_errors == []
