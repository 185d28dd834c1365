"""The helpdesk views of the ticket list (T4, T6, T7): which tickets, counts, SLA badges in
business time across a night and a weekend, filters, sort, pages, bulk actions, the live
refresh and the new-ticket client search (T2)."""

import html
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import at
from tests.sales_fixtures import make_ficha
from tests.tickets_support.helpers import new_ticket
from tickets import desk, selectors
from tickets.models import Level, Ticket
from workflows.models import Ficha
from workflows.roles import AGENT, MANAGER, SELLER, SUPPORT, SUPPORT_DEV

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


@pytest.fixture
def people(make_user):
    return {
        "carla": make_user(SUPPORT, AGENT, username="carla", first_name="Carla"),
        "davi": make_user(SUPPORT, username="davi", first_name="Davi"),
        "dev": make_user(SUPPORT_DEV, username="dev", first_name="Diego"),
        "seller": make_user(SELLER, AGENT, username="vera", first_name="Vera"),
        "boss": make_user(MANAGER, username="chefe", first_name="Chefe"),
    }


def login(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def desk_tickets(people, clock):
    """Monday 19/04/2027 09:00: one ticket of each view (P3: first response in 4 business
    hours, so each is due at 13:00)."""
    carla = people["carla"]
    mine = new_ticket(carla, subject="Meu chamado", channel="phone")
    desk.ticket_act(mine, "assign", actor=carla, reason="é comigo", assignee=carla)
    free = new_ticket(carla, subject="Sem dono", channel="chat", urgency=Level.CRITICAL)
    waiting = new_ticket(carla, subject="Esperando cliente")
    desk.ticket_act(waiting, "analyse", actor=carla, reason="olhando")
    desk.ticket_act(waiting, "ask_client", actor=carla, reason="Mande o print do erro, por favor")
    github = new_ticket(carla, subject="Bug no exportador", channel="whatsapp")
    Ticket.objects.filter(pk=github.pk).update(
        github_issue_number=42,
        github_issue_url="https://github.com/webplanet/g3stor/issues/42",
        github_issue_state="open",
    )
    done = new_ticket(carla, subject="Resolvido")
    desk.ticket_act(done, "conclude", actor=carla, reason="Corrigido, avisei a cliente")
    return {"mine": mine, "free": free, "waiting": waiting, "github": github, "done": done}


def in_view(user, view, **filters):
    values = selectors.list_values(user)
    return {t.subject for t in selectors.list_tickets(values, view=view, filters=filters)}


def test_T4_T6_T7_each_view_lists_its_tickets_with_its_count(desk_tickets, people, clock):
    carla = people["carla"]
    assert in_view(carla, "meus") == {"Meu chamado"}
    assert in_view(carla, "nao-atribuidos") == {
        "Sem dono",
        "Esperando cliente",
        "Bug no exportador",
    }
    assert in_view(carla, "aguardando-cliente") == {"Esperando cliente"}
    assert in_view(carla, "github") == {"Bug no exportador"}
    assert in_view(carla, "concluidos") == {"Resolvido"}
    # 09:00: every deadline is hours away (P3 at 13:00; the P2 "Sem dono" at 10:00).
    assert in_view(carla, "vencendo") == {"Sem dono"}
    assert in_view(carla, "vencido") == set()
    clock.freeze(at(2027, 4, 19, 11, 0))  # two business hours before 13:00: vencendo
    assert in_view(carla, "vencendo") == {"Meu chamado", "Bug no exportador"}
    assert in_view(carla, "vencido") == {"Sem dono"}
    counts = selectors.view_counts(selectors.list_values(carla))
    assert counts == {
        "ativos": 4,
        "meus": 1,
        "nao-atribuidos": 3,
        "vencendo": 2,
        "vencido": 1,
        "aguardando-cliente": 1,
        "github": 1,
        "concluidos": 1,
        "todos": 5,
    }
    clock.freeze(at(2027, 4, 19, 10, 59))  # 2 h 01 min before 13:00: not yet
    assert in_view(carla, "vencendo") == set()


def badges(user):
    values = selectors.list_values(user)
    tickets = selectors.list_tickets(values, view="todos")
    return {r["ticket"].subject: (r["badge"], r["tone"]) for r in selectors.ticket_rows(tickets)}


def test_T6_badges_count_business_time_across_a_night(desk_tickets, people, clock):
    carla = people["carla"]
    clock.freeze(at(2027, 4, 19, 11, 40))
    shown = badges(carla)
    assert shown["Meu chamado"] == ("vence em 1 h 20 min úteis", "warn")
    assert shown["Sem dono"] == ("vencido há 1 h 40 min úteis", "danger")
    assert shown["Resolvido"] == ("concluído", "")
    # While the client answers, the resolution clock: 2700 business minutes (5 days) from
    # 09:00 Monday, Tiradentes (Wednesday 21/04) skipped: due Monday 26/04 at 18:00.
    assert shown["Esperando cliente"] == ("vence em 42 h 20 min úteis", "ok")
    clock.freeze(at(2027, 4, 20, 9, 35))  # Tuesday: 13:00–18:00 Monday + 35 min
    assert badges(carla)["Meu chamado"] == ("vencido há 5 h 35 min úteis", "danger")
    clock.freeze(at(2027, 4, 19, 22, 0))  # the night counts nothing
    assert badges(carla)["Meu chamado"] == ("vencido há 5 h úteis", "danger")


def test_T6_badges_count_business_time_across_a_weekend(people, clock):
    clock.freeze(at(2027, 4, 16, 16, 0))  # Friday 16:00: due Monday 11:00 (2 h + 2 h)
    ticket = new_ticket(people["carla"], subject="Sexta à tarde")
    assert ticket.response_due_at == at(2027, 4, 19, 11, 0)
    clock.freeze(at(2027, 4, 16, 17, 0))
    assert badges(people["carla"])["Sexta à tarde"] == ("vence em 3 h úteis", "ok")
    clock.freeze(at(2027, 4, 18, 12, 0))  # Sunday: still 2 h, the weekend counts nothing
    assert badges(people["carla"])["Sexta à tarde"] == ("vence em 2 h úteis", "warn")
    clock.freeze(at(2027, 4, 19, 9, 40))
    assert badges(people["carla"])["Sexta à tarde"] == ("vence em 1 h 20 min úteis", "warn")
    clock.freeze(at(2027, 4, 19, 11, 35))
    assert badges(people["carla"])["Sexta à tarde"] == ("vencido há 35 min úteis", "danger")


def page_of(client, **params):
    response = client.get(reverse("tickets:list"), params)
    assert response.status_code == 200
    return response.content.decode()


def subjects(page):
    return re.findall(r'href="/suporte/chamados/\d+/">\[#\d+\] ([^<]+)</a>', page)


def test_T4_list_filters_sorts_and_pages(desk_tickets, people, clock, monkeypatch):
    client = login(people["carla"])
    page = page_of(client)
    assert 'Meus <span class="count-pill">1</span>' in page
    assert set(subjects(page)) == {
        "Meu chamado",
        "Sem dono",
        "Esperando cliente",
        "Bug no exportador",
    }
    assert subjects(page_of(client, prioridade="P2")) == ["Sem dono"]
    assert subjects(page_of(client, responsavel=people["carla"].pk)) == ["Meu chamado"]
    assert "Meu chamado" not in subjects(page_of(client, responsavel="ninguem"))
    assert subjects(page_of(client, estado="aguardando_cliente")) == ["Esperando cliente"]
    assert subjects(page_of(client, canal="whatsapp")) == ["Bug no exportador"]
    assert subjects(page_of(client, visao="concluidos")) == ["Resolvido"]
    assert subjects(page_of(client, ordem="prioridade"))[0] == "Sem dono"
    by_channel = subjects(page_of(client, ordem="canal"))
    assert by_channel[0] == "Sem dono" and by_channel[-1] == "Bug no exportador"
    monkeypatch.setattr(selectors, "LIST_PAGE_SIZE", 3)
    first = page_of(client, ordem="recentes")
    assert len(subjects(first)) == 3 and "pagina=2" in first and "1–3 de 4 chamados" in first
    second = page_of(client, ordem="recentes", pagina=2)
    assert subjects(second) == ["Meu chamado"] and "4–4 de 4 chamados" in second
    assert "passou do fim" in page_of(client, pagina=9)
    # Bad values fall back to the defaults, never a 500.
    page_of(client, visao="x", ordem="\x00", prioridade="P9", responsavel="abc", pagina="-3")


def test_T4_the_live_refresh_answers_the_rows_with_the_same_filters(desk_tickets, people):
    client = login(people["carla"])
    response = client.get(reverse("tickets:list"), {"canal": "chat", "parte": "linhas"}, headers=HX)
    body = response.content.decode()
    assert response.status_code == 200 and "<h1>" not in body
    assert subjects(body) == ["Sem dono"]
    assert 'id="list-table"' in body and 'hx-trigger="every 30s"' in body
    assert "canal=chat" in re.search(r'hx-get="([^"]+)"', body).group(1)
    assert 'id="list-views"' in body and 'hx-swap-oob="true"' in body  # the counts too


def test_T4_a_checked_box_stays_checked_when_the_page_is_shown_again(desk_tickets, people):
    """A bulk form refused for its input comes back with the same boxes checked."""
    client = login(people["carla"])
    mine = desk_tickets["mine"]
    response = client.post(
        reverse("tickets:bulk"), {"t": [mine.pk], "acao": "analyse", "motivo": "..."}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "“Iniciar análise” pede uma justificativa escrita (T4)." in page
    assert re.search(rf'value="{mine.pk}"[^>]*checked', page)
    assert Ticket.objects.get(pk=mine.pk).state == "aberto"


def test_T4_bulk_assign_goes_through_the_machine_per_ticket(desk_tickets, people):
    client = login(people["carla"])
    free, github = desk_tickets["free"], desk_tickets["github"]
    back = reverse("tickets:list") + "?visao=nao-atribuidos"
    response = client.post(
        reverse("tickets:bulk"),
        {
            "t": [free.pk, github.pk],
            "acao": "assign",
            "responsavel": people["davi"].pk,
            "motivo": "Davi cobre o chat hoje",
            "next": back,
        },
    )
    assert response.status_code == 302 and response.url == back
    for ticket in (free, github):
        ticket.refresh_from_db()
        assert ticket.assignee == people["davi"]
    page = client.get(back).content.decode()
    assert f"Atribuir responsável: feito em 2 chamado(s) ({free.tag}, {github.tag})." in page
    assert (
        "Davi cobre o chat hoje"
        in client.get(reverse("tickets:detail", args=[free.pk])).content.decode()
    )


def test_T4_bulk_state_change_lists_each_refused_ticket_with_its_rule(desk_tickets, people):
    client = login(people["carla"])
    mine, waiting = desk_tickets["mine"], desk_tickets["waiting"]
    response = client.post(
        reverse("tickets:bulk"),
        {"t": [mine.pk, waiting.pk], "acao": "client_replied", "motivo": "Mandou o print"},
        follow=True,
    )
    page = response.content.decode()
    assert Ticket.objects.get(pk=waiting.pk).state == "em_analise"
    assert Ticket.objects.get(pk=mine.pk).state == "aberto"
    assert f"Cliente respondeu: feito em 1 chamado(s) ({waiting.tag})." in page
    assert f"{mine.tag} não mudou:" in page
    # Nothing could move: 422 and the refusals listed on the page.
    response = client.post(
        reverse("tickets:bulk"), {"t": [mine.pk], "acao": "reopen", "motivo": "Reabrir"}
    )
    assert response.status_code == 422
    assert "Reabrir: nenhum chamado mudou" in response.content.decode()
    assert Ticket.objects.get(pk=mine.pk).state == "aberto"


def test_T4_bulk_assign_by_a_support_dev_is_refused_by_role_and_nothing_moves(desk_tickets, people):
    free = desk_tickets["free"]
    response = login(people["dev"]).post(
        reverse("tickets:bulk"),
        {
            "t": [free.pk],
            "acao": "assign",
            "responsavel": people["davi"].pk,
            "motivo": "Eu assumo este",
        },
    )
    assert response.status_code == 403
    assert Ticket.objects.get(pk=free.pk).assignee is None


def test_T4_list_and_bulk_are_refused_outside_support(desk_tickets, people):
    seller = login(people["seller"])
    assert seller.get(reverse("tickets:list")).status_code == 403
    free = desk_tickets["free"]
    response = seller.post(
        reverse("tickets:bulk"), {"t": [free.pk], "acao": "analyse", "motivo": "tentando"}
    )
    assert response.status_code == 403
    assert Ticket.objects.get(pk=free.pk).state == "aberto"
    assert seller.get(reverse("tickets:client_search"), {"ficha_busca": "Silva"}).status_code == 403


def test_T6_the_list_costs_the_same_queries_however_many_rows(people, clock):
    client = login(people["carla"])

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("tickets:list")).status_code == 200
        return len(captured)

    for i in range(3):
        new_ticket(people["carla"], subject=f"Chamado {i}", ficha=make_ficha())
    count()
    before = count()
    for i in range(12):
        ticket = new_ticket(people["carla"], subject=f"Outro {i}", ficha=make_ficha())
        desk.ticket_act(
            ticket, "assign", actor=people["carla"], reason="meu", assignee=people["davi"]
        )
    assert count() == before


# -- The new-ticket form's client search (T2) --------------------------------------------------


@pytest.fixture
def clients(people, clock):
    silva = make_ficha(name="Escritório Silva Advogados", email="contato@silva.adv.br")
    merged = make_ficha(name="Silva Advogados (duplicada)")
    Ficha.objects.filter(pk=merged.pk).update(status=Ficha.Status.MERGED, merged_into=silva)
    new_ticket(people["carla"], subject="Boleto de março não abre", ficha=silva)
    return {"silva": silva, "merged": merged}


def test_T2_client_search_offers_matching_fichas_but_never_merged_ones(clients, people):
    client = login(people["carla"])
    page = client.get(
        reverse("tickets:client_search"), {"ficha_busca": "silva"}, headers=HX
    ).content.decode()
    assert "Escritório Silva Advogados" in page and "duplicada" not in page
    assert f"?ficha={clients['silva'].pk}" in page
    by_email = client.get(reverse("tickets:client_search"), {"ficha_busca": "contato@silva.adv.br"})
    assert "Escritório Silva Advogados" in by_email.content.decode()
    assert (
        "Digite pelo menos 3"
        in client.get(reverse("tickets:client_search"), {"ficha_busca": "si"}).content.decode()
    )


def test_T2_picking_a_client_shows_their_open_tickets(clients, people):
    client = login(people["carla"])
    pick = client.get(reverse("tickets:client_pick"), {"ficha": clients["silva"].pk}, headers=HX)
    page = pick.content.decode()
    assert pick.status_code == 200
    assert "Boleto de março não abre" in page and "já tem 1 chamado em aberto" in page
    assert f'name="ficha" id="id_ficha" value="{clients["silva"].pk}"' in page
    merged = client.get(reverse("tickets:client_pick"), {"ficha": clients["merged"].pk})
    assert merged.status_code == 404 and "unificada" in merged.content.decode()


FORM = {
    "channel": "phone",
    "subject": "Não consegue emitir boleto",
    "description": "Cliente ligou: o botão de emitir boleto não responde.",
    "urgency": 2,
    "impact": 2,
}


def test_T2_without_javascript_the_ficha_number_or_document_is_accepted(clients, people):
    client = login(people["carla"])
    silva = clients["silva"]
    response = client.post(reverse("tickets:create"), {**FORM, "ficha_busca": f"nº {silva.pk}"})
    assert response.status_code == 302
    assert Ticket.objects.latest("pk").ficha == silva
    typed = f"{silva.document[:3]}.{silva.document[3:6]}.{silva.document[6:9]}-{silva.document[9:]}"
    response = client.post(reverse("tickets:create"), {**FORM, "ficha_busca": typed})
    assert response.status_code == 302 and Ticket.objects.latest("pk").ficha == silva
    picked = client.post(
        reverse("tickets:create"), {**FORM, "ficha": silva.pk, "ficha_busca": silva.name}
    )
    assert picked.status_code == 302 and Ticket.objects.latest("pk").ficha == silva


def test_T2_a_merged_or_unknown_ficha_is_refused_keeping_what_was_typed(clients, people):
    client = login(people["carla"])
    before = Ticket.objects.count()
    merged = clients["merged"]
    response = client.post(reverse("tickets:create"), {**FORM, "ficha_busca": merged.document})
    page = response.content.decode()
    assert response.status_code == 422
    assert "foi unificada em outra" in page and "Escritório Silva Advogados" in page
    assert f'value="{merged.document}"' in page and "Não consegue emitir boleto" in page
    response = client.post(
        reverse("tickets:create"), {**FORM, "ficha": merged.pk, "ficha_busca": "Silva"}
    )
    assert response.status_code == 422 and "não pode ser escolhida" in response.content.decode()
    response = client.post(reverse("tickets:create"), {**FORM, "ficha_busca": "Fulano de Tal"})
    assert (
        response.status_code == 422 and "Nenhuma ficha com este número" in response.content.decode()
    )
    assert Ticket.objects.count() == before


def test_T2_the_form_opened_for_a_ficha_shows_its_name(clients, people):
    page = (
        login(people["carla"])
        .get(reverse("tickets:create"), {"ficha": clients["silva"].pk})
        .content.decode()
    )
    assert 'value="Escritório Silva Advogados"' in page
    assert 'hx-get="/suporte/chamados/novo/clientes/"' in page


def test_T4_without_javascript_the_list_filters_pages_and_bulk_assigns(
    desk_tickets, people, monkeypatch
):
    """No HTMX headers anywhere: the filters are a GET form, the pages plain links, the bulk
    action a plain POST form answered with a redirect back to the same filtered page and a
    success message (HTMX only refreshes the rows)."""
    monkeypatch.setattr(selectors, "LIST_PAGE_SIZE", 2)
    client = login(people["carla"])
    page = client.get(reverse("tickets:list")).content.decode()
    filters = re.search(r'<form class="list-filters"[^>]*>', page).group()
    assert 'method="get"' in filters and f'action="{reverse("tickets:list")}"' in filters
    bulk = re.search(r'<form id="form-lote"[^>]*>', page).group()
    assert 'method="post"' in bulk and f'action="{reverse("tickets:bulk")}"' in bulk
    assert "hx-" not in filters and "hx-" not in bulk

    # The filter form submitted as a browser does (every field, empty ones too).
    fields = {"visao": "ativos", "q": "", "prioridade": "", "responsavel": "ninguem"}
    fields |= {"estado": "", "canal": "", "ordem": "recentes"}
    first = client.get(reverse("tickets:list"), fields).content.decode()
    assert subjects(first) == ["Bug no exportador", "Esperando cliente"]
    assert "1–2 de 3 chamados" in first
    following = html.unescape(re.search(r'<a href="([^"]+)">Próximos →</a>', first).group(1))
    assert "responsavel=ninguem" in following and "pagina=2" in following
    second = client.get(reverse("tickets:list") + following).content.decode()
    assert subjects(second) == ["Sem dono"] and "3–3 de 3 chamados" in second

    # Bulk assign from that page: back to it, with the message.
    back = html.unescape(re.search(r'name="next" value="([^"]+)"', second).group(1))
    assert back.startswith(reverse("tickets:list") + "?") and "pagina=2" in back
    free = desk_tickets["free"]
    assert re.search(rf'<input type="checkbox" name="t" value="{free.pk}" form="form-lote"', second)
    response = client.post(
        reverse("tickets:bulk"),
        {
            "t": [free.pk],
            "acao": "assign",
            "responsavel": people["davi"].pk,
            "motivo": "Davi cobre o chat hoje",
            "next": back,
        },
    )
    assert response.status_code == 302 and response.url == back
    assert "HX-Redirect" not in response
    free.refresh_from_db()
    assert free.assignee == people["davi"]
    after = client.get(back).content.decode()
    assert f"Atribuir responsável: feito em 1 chamado(s) ({free.tag})." in after
    assert "Sem dono" not in subjects(after)  # no longer in "Ninguém"
