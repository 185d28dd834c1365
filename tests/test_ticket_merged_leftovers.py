"""T4: a merged ticket ("mesclado") is the kept ticket's problem: the ticket lists leave it out
unless asked for it (the status filter "Mesclado", or its number in the search), and nothing
more is written on it — no internal note, no reply, no note edit: a 422 refusal naming the
kept ticket, and the page offers no editor. Other tickets are unaffected."""

import pytest
from django.core import mail
from django.urls import reverse

from tests.test_ticket_merge import counts, login
from tests.test_ticket_merge import pair as pair  # noqa: F401  (the fixture)
from tests.test_ticket_merge import support as support  # noqa: F401  (the fixture)
from tests.test_tickets_list_views import desk_tickets as desk_tickets  # noqa: F401
from tests.test_tickets_list_views import in_view, page_of, subjects
from tests.test_tickets_list_views import people as people  # noqa: F401  (the fixture)
from tickets import conversation, desk, merge, selectors
from tickets.models import Ticket, TicketNote
from workflows.refusals import TransitionRefused

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


def kept_message(kept) -> str:
    return f"Este chamado foi mesclado com o #{kept.pk}: escreva no chamado mantido."


@pytest.fixture
def merged(pair, support):  # noqa: F811
    """`pair`'s newer ticket merged into the older one: (merged, kept)."""
    older, newer = pair
    merge.ticket_merge(newer, older, actor=support, reason="Mesmo problema do TJSP")
    return Ticket.objects.get(pk=newer.pk), Ticket.objects.get(pk=older.pk)


@pytest.fixture
def merged_desk(desk_tickets, people):  # noqa: F811
    """The list's tickets, "Sem dono" merged into "Meu chamado" (same client, no ficha)."""
    free, mine = desk_tickets["free"], desk_tickets["mine"]
    merge.ticket_merge(free, mine, actor=people["carla"], reason="Mesmo problema")
    return desk_tickets


# -- the lists -----------------------------------------------------------------------------------


def test_T4_lists_leave_merged_tickets_out_and_the_mesclado_filter_shows_them(
    merged_desk,
    people,  # noqa: F811
):
    carla = people["carla"]
    others = {"Meu chamado", "Esperando cliente", "Bug no exportador", "Resolvido"}
    assert in_view(carla, "todos") == others
    assert "Sem dono" not in in_view(carla, "nao-atribuidos")
    counts_now = selectors.view_counts(selectors.list_values(carla))
    assert counts_now["todos"] == 4 and counts_now["ativos"] == 3
    # Asked for by name: the status filter "Mesclado" shows it (in "Todos"; a view of other
    # states still has none).
    assert in_view(carla, "todos", state=Ticket.State.MERGED) == {"Sem dono"}
    assert in_view(carla, "ativos", state=Ticket.State.MERGED) == set()
    client = login(carla)
    page = page_of(client, visao="todos")
    assert set(subjects(page)) == others
    assert 'Todos <span class="count-pill">4</span>' in page
    assert '<option value="mesclado">Mesclado</option>' in page
    page = page_of(client, visao="todos", estado="mesclado")
    assert subjects(page) == ["Sem dono"]
    assert f"mesclado em #{merged_desk['mine'].pk}" in page  # where its thread is now


def test_T4_searching_a_merged_tickets_number_reaches_it(merged_desk, people):  # noqa: F811
    free = merged_desk["free"]
    client = login(people["carla"])
    for typed in (str(free.pk), f"#{free.pk}", f"[#{free.pk}]"):
        assert subjects(page_of(client, q=typed)) == ["Sem dono"], typed
    assert subjects(page_of(client, visao="todos", q="Sem dono")) == []  # text: not merged ones
    page = client.get(reverse("tickets:detail", args=[free.pk])).content.decode()
    mine = merged_desk["mine"].pk
    assert f'Mesclado em <a href="/suporte/chamados/{mine}/">#{mine}</a>' in page


def test_T4_lists_of_unmerged_tickets_are_unchanged(desk_tickets, people):  # noqa: F811
    carla = people["carla"]
    assert len(in_view(carla, "todos")) == 5
    assert in_view(carla, "todos", state=Ticket.State.MERGED) == set()
    number = desk_tickets["done"].pk
    assert subjects(page_of(login(carla), q=f"#{number}")) == ["Resolvido"]


# -- nothing more is written on a merged ticket --------------------------------------------------


def test_T4_merged_ticket_refuses_notes(merged, support):  # noqa: F811
    source, kept = merged
    before = counts()
    with pytest.raises(TransitionRefused) as refused:
        conversation.ticket_note(source, actor=support, text="Mais uma informação")
    problem = refused.value
    assert problem.status_code == 422 and problem.rule_ids == ("T4",)
    assert problem.message == kept_message(kept)
    url = reverse("tickets:reply", args=[source.pk])
    response = login(support).post(url, {"text": "Mais uma informação", "enviar": "note"})
    assert response.status_code == 422
    body = response.content.decode()
    assert kept_message(kept) in body and 'title="Regra T4"' in body
    assert 'id="form-resposta"' not in body  # the refusal is told, no editor offered
    # Nothing typed is lost: the text comes back read-only, to be copied to the kept ticket.
    assert 'id="texto-nao-salvo"' in body and "Mais uma informação</textarea>" in body
    page = login(support).get(reverse("tickets:detail", args=[source.pk])).content.decode()
    assert kept_message(kept) in page and 'id="form-resposta"' not in page
    assert 'id="texto-nao-salvo"' not in page
    response = login(support).post(
        url, {"text": "Mais uma informação", "enviar": "note"}, headers=HX
    )
    assert response.status_code == 422 and kept_message(kept) in response.content.decode()
    assert counts() == before


def test_T4_merged_ticket_refuses_replies(merged, support):  # noqa: F811
    source, kept = merged
    before, sent = counts(), len(mail.outbox)
    with pytest.raises(TransitionRefused) as refused:
        conversation.ticket_reply(source, actor=support, text="Dra. Marina, resolvido.")
    assert refused.value.status_code == 422 and refused.value.rule_ids == ("T4",)
    assert refused.value.message == kept_message(kept)
    url = reverse("tickets:reply", args=[source.pk])
    for event in ("respond", "ask_client", "conclude"):
        response = login(support).post(url, {"text": "Dra. Marina, resolvido.", "enviar": event})
        assert response.status_code == 422 and kept_message(kept) in response.content.decode()
    assert counts() == before and len(mail.outbox) == sent
    assert Ticket.objects.get(pk=source.pk).state == Ticket.State.MERGED


def test_T4_a_note_on_a_ticket_merged_meanwhile_is_refused(pair, support):  # noqa: F811
    older, newer = pair  # `newer` as a page read it, before the merge
    merge.ticket_merge(Ticket.objects.get(pk=newer.pk), older, actor=support, reason="Mesmo")
    before = counts()
    with pytest.raises(TransitionRefused) as refused:
        conversation.ticket_note(newer, actor=support, text="Escrito antes de ver a mescla")
    assert refused.value.rule_ids == ("T4",) and refused.value.message == kept_message(older)
    assert counts() == before


def test_T4_merged_ticket_page_offers_no_note_form(merged, support):  # noqa: F811
    source, kept = merged
    client = login(support)
    page = client.get(reverse("tickets:detail", args=[source.pk])).content.decode()
    assert 'id="form-resposta"' not in page and kept_message(kept) in page  # why, not a form
    assert 'value="note"' not in page and ">Citar</a>" not in page
    kept_page = client.get(reverse("tickets:detail", args=[kept.pk])).content.decode()
    assert 'id="form-resposta"' in kept_page and 'value="note"' in kept_page
    assert ">Citar</a>" in kept_page


def test_T4_merged_ticket_refuses_editing_its_notes(merged, support):  # noqa: F811
    source, kept = merged
    note = source.notes.get(kind=TicketNote.Kind.INTERNAL)  # the merge note, by `support`
    refusal = conversation.note_edit_refusal(note, support)
    assert refusal.status_code == 422 and refusal.rule_ids == ("T4",)
    with pytest.raises(TransitionRefused):
        conversation.ticket_note_edit(note, actor=support, text="Outro texto")
    url = reverse("tickets:note_edit", args=[note.pk])
    client = login(support)
    assert client.get(url).status_code == 422
    response = client.post(url, {"text": "Outro texto"})
    assert response.status_code == 422 and kept_message(kept) in response.content.decode()
    note.refresh_from_db()
    assert note.edited_at is None and not note.revisions.exists()
    page = client.get(reverse("tickets:detail", args=[source.pk])).content.decode()
    assert url not in page
    # The kept ticket's own merge note (same author) stays editable.
    kept_note = kept.notes.filter(kind=TicketNote.Kind.INTERNAL, author=support).last()
    assert conversation.note_edit_refusal(kept_note, support) is None
    kept_page = client.get(reverse("tickets:detail", args=[kept.pk])).content.decode()
    assert reverse("tickets:note_edit", args=[kept_note.pk]) in kept_page


def test_T4_unmerged_tickets_still_take_notes_in_any_state(merged, support):  # noqa: F811
    _, kept = merged
    note = conversation.ticket_note(kept, actor=support, text="Robô do TJSP reiniciado.")
    assert note.ticket == kept
    desk.ticket_act(kept, "conclude", actor=support, reason="Intimações voltaram")
    kept = Ticket.objects.get(pk=kept.pk)
    assert conversation.ticket_note(kept, actor=support, text="Cliente confirmou.").pk
    page = login(support).get(reverse("tickets:detail", args=[kept.pk])).content.decode()
    assert 'value="note"' in page
    with pytest.raises(TransitionRefused) as refused:  # the machine's answer, as before
        conversation.ticket_reply(kept, actor=support, text="Mais uma informação")
    assert "Concluído" in refused.value.message and refused.value.rule_ids == ("T6",)
