"""T7 in Chromium: GitHub's comment payloads reach the ticket a support agent has open — a new
comment appears, an edit replaces its text (the earlier one folded under "Versões
anteriores"), a deletion leaves the mark and no live text."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.test_tickets_github import linked_ticket
from tests.test_tickets_github_payloads import EDITED, FIRST, deliver
from workflows.roles import SUPPORT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_T7_an_edited_then_deleted_github_comment_on_the_open_ticket(
    session, make_user, fake_github, clock
):
    carla = make_user(SUPPORT, username="carla", first_name="Carla")
    ticket = linked_ticket(carla)
    s = session("carla")
    page = s.go(f"/suporte/chamados/{ticket.pk}/")
    expect(page.get_by_text("issue #42 (aberta)")).to_be_visible()

    assert deliver("issue_comment.created") == "comment added"
    page.reload()
    comment = page.locator("li", has_text="Comentário no GitHub").last
    expect(comment).to_contain_text(FIRST)

    assert deliver("issue_comment.edited") == "comment edited"
    page.reload()
    comment = page.locator("li", has_text="Comentário no GitHub").last
    expect(comment).to_contain_text(EDITED)
    expect(comment).to_contain_text("editado no GitHub em")
    earlier = comment.locator("details", has_text="Versões anteriores")
    expect(earlier.get_by_text(FIRST)).to_be_hidden()  # folded until asked for
    earlier.locator("summary").click()
    expect(earlier.get_by_text(FIRST)).to_be_visible()
    screenshot(page, "github-comentario-editado")

    assert deliver("issue_comment.deleted") == "comment deleted"
    page.reload()
    comment = page.locator("li", has_text="Comentário no GitHub").last
    expect(comment.get_by_text("Comentário apagado no GitHub").first).to_be_visible()
    expect(comment).not_to_contain_text(EDITED)
    assert s.console_errors == []
