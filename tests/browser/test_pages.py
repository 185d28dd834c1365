"""Every main page at desktop and phone width: screenshot (build output in var/screenshots/),
no horizontal scroll, no console errors, every form field labelled, keyboard reachable."""

import pytest

from onboarding.duplicates import duplicate_case_choose_kept, duplicate_case_inform_client
from onboarding.models import DuplicateCase
from onboarding.training import training_book, training_slot_publish
from tests.browser.conftest import screenshot
from tests.conftest import at
from tests.onboarding_fixtures import register
from tests.sales_fixtures import BITRIX, contact, make_ficha
from tests.tickets_support.helpers import new_ticket
from tickets import desk, routine, textura
from tickets.models import InboundEmail, Level, Romaneio, RomaneioItem, RoutineItem, Ticket
from workflows.agendamentos import agendamento_open
from workflows.businessdays import add_business_days
from workflows.movimentacoes import movimentacao_log
from workflows.orcamento import orcamento_create, orcamento_item_set
from workflows.roles import AGENT, MANAGER, SELLER, SUPPORT, SUPPORT_DEV
from workflows.triage import triage_start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && el.checkVisibility({visibilityProperty: true}))
  .filter(el => !(el.id && document.querySelector(`label[for="${el.id}"]`))
             && !el.closest('label') && !el.getAttribute('aria-label')
             && !el.getAttribute('aria-labelledby'))
  .map(el => el.name || el.outerHTML.slice(0, 80))"""

FOCUSABLE = """() => [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary')]
  .filter(el => el.checkVisibility({visibilityProperty: true}) && !el.disabled)"""

# Tab stops once per radio group (the arrow keys move inside it): a radio counts as reached
# when any radio of its group was.
MISSED = f"""(reached) => {{ const all = ({FOCUSABLE})();
  const hit = all.filter((el, i) => reached.includes(i) && el.type === 'radio');
  const grouped = el => el.type === 'radio'
    && hit.some(r => r.name === el.name && r.form === el.form);
  return all.filter((el, i) => !reached.includes(i) && !grouped(el))
    .map(el => el.outerHTML.slice(0, 100)); }}"""

FOCUS_INDEX = f"() => ({FOCUSABLE})().indexOf(document.activeElement)"

DUPLICATE_IDS = """() => { const seen = {}, dup = [];
  document.querySelectorAll('[id]').forEach(el => { if (seen[el.id]) dup.push(el.id);
                                                     seen[el.id] = 1; });
  return dup; }"""


def check_page(page, name, width):
    page.wait_for_load_state("networkidle")
    screenshot(page, f"{name}-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "horizontal scroll"
    assert page.evaluate(UNLABELLED) == [], "unlabelled fields"
    assert page.evaluate(DUPLICATE_IDS) == [], "duplicate ids"
    count = page.evaluate(f"() => ({FOCUSABLE})().length")
    reached = set()
    page.locator("body").focus()
    for _ in range(count + 10):
        page.keyboard.press("Tab")
        reached.add(page.evaluate(FOCUS_INDEX))
    assert page.evaluate(MISSED, sorted(reached)) == [], "not reachable by keyboard"


@pytest.fixture
def world(make_user, products, clock):
    ana = make_user(AGENT, SELLER, username="ana", first_name="Ana")
    carla = make_user(AGENT, SUPPORT, username="carla", first_name="Carla")
    make_user(MANAGER, AGENT, username="gabriel", first_name="Gabriel")
    ficha = make_ficha(name="Dra. Página Teste", email="pagina@adv.br", phone="+5511987650000")
    agendamento_open(
        ficha, owner=ana, kind="venda_com_contato", product=products["intimacao"], **contact()
    )
    triage = triage_start(
        ficha,
        agent=carla,
        product=products["intimacao"],
        channel="chat",
        text="Quer contratar",
        bitrix_link=BITRIX,
    )
    quote = orcamento_create(ficha, author=ana, demand="Monitorar publicações de 3 advogados")
    orcamento_item_set(quote, actor=ana, product=products["intimacao"], quantity=3)
    return {"ficha": ficha, "triage": triage, "quote": quote}


@pytest.mark.parametrize("width", [1280, 390])
def test_main_pages_look_finished_at_desktop_and_phone_width(session, world, live_server, width):
    from playwright.sync_api import sync_playwright  # noqa: F401  (the session fixture uses it)

    ficha, triage, quote = world["ficha"], world["triage"], world["quote"]
    pages = {
        "ana": [
            ("inicio", "/"),
            ("ficha", f"/fichas/{ficha.pk}/"),
            ("busca", "/fichas/?q=Teste"),
            ("atendimento", f"/atendimentos/{triage.pk}/"),
            ("orcamento", f"/orcamentos/{quote.pk}/"),
            ("fluxos", "/fluxos/"),
        ],
        "gabriel": [("gestor", "/gestor/"), ("historico", f"/fichas/{ficha.pk}/")],
    }
    for username, paths in pages.items():
        browser = session(username, width=width)
        for name, path in paths:
            page = browser.go(path)
            if name == "historico":
                page.get_by_role("link", name="Histórico de transições da ficha").click()
            check_page(page, name, width)
        assert browser.console_errors == []


def test_login_page_is_accessible(chromium, live_server):
    context = chromium.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server.url}/entrar/")
    check_page(page, "entrar", 390)
    context.close()


@pytest.fixture
def support_world(make_user, clock):
    """One of everything the support and onboarding pages list, made through the services."""
    carla = make_user(AGENT, SUPPORT, username="carla", first_name="Carla")
    make_user(SUPPORT, SUPPORT_DEV, username="diego", first_name="Diego")
    ficha = register(name="Dra. Página Suporte", email="suporte@adv.br", phone="+5511987650001")
    register(name="Página Suporte", email="SUPORTE@adv.br")  # a duplicate for the central
    gabriel = make_user(MANAGER, AGENT, username="gabriel", first_name="Gabriel")
    case = duplicate_case_inform_client(  # so the case page shows the merge choices
        DuplicateCase.objects.get(),
        actor=gabriel,
        channel="phone",
        outcome="talked",
        text="Expliquei que há duas fichas",
        bitrix_link=BITRIX,
    )
    duplicate_case_choose_kept(case, actor=gabriel, kept=ficha, answer="Manter a antiga")
    clock.freeze(at(2027, 4, 16, 15, 0))  # Friday: an unresolved attendance to review
    movimentacao_log(
        ficha,
        author=carla,
        channel="phone",
        reason="error_return",
        outcome="pending",
        text="Cliente relata que o relatório mensal sai em branco desde a atualização",
        bitrix_link=BITRIX,
        boleto_alert_given=True,
    )
    clock.freeze(at(2027, 4, 19, 9, 0))
    ticket = new_ticket(
        carla,
        ficha=ficha,
        subject="Intimações do TJSP não chegam desde ontem à tarde para os três advogados",
        urgency=Level.CRITICAL,
        impact=Level.HIGH,
        assignee=carla,
    )
    desk.ticket_act(ticket, "analyse", actor=carla, reason="Conferindo o robô do TJSP")
    linked = new_ticket(carla, subject="Relatório trava ao exportar", needs_development=True)
    Ticket.objects.filter(pk=linked.pk).update(
        github_issue_number=42,
        github_issue_url="https://github.com/webplanet/g3stor/issues/42",
        github_issue_state="open",
    )
    desk.ticket_act(linked, "develop", actor=carla, reason="bug confirmado no exportador")
    InboundEmail.objects.create(
        message_id="<quebrado@cliente.com.br>",
        folder="INBOX",
        uid=7,
        uidvalidity=1,
        from_name="Dr. Rafael Monteiro",
        from_email="rafael.monteiro@example.com",
        subject="Não consigo acessar o sistema desde a atualização de ontem",
        outcome=InboundEmail.Outcome.FAILED,
        raw=b"Subject: quebrado\r\n\r\n...",
    )
    helena = textura.save_architect(
        {
            "name": "Helena Prado",
            "office": "Prado Arquitetura",
            "email": "helena@pradoarq.com.br",
            "phone": "(11) 98888-1234",
            "links": "Loja Textura Moema\nCondomínio Jardins",
            "notes": "Prefere contato por WhatsApp.",
        },
        actor=carla,
    )
    romaneio = Romaneio.objects.create(
        number="TX-2031",
        date=clock.today(),
        store="Textura Moema",
        architect=helena,
        created_by=carla,
    )
    RomaneioItem.objects.create(romaneio=romaneio, product="Piso vinílico", quantity=42, unit="m2")
    routine.routine_item_mark(carla, RoutineItem.EMAIL, reason="O e-mail aguarda o TI do cliente")
    slot = training_slot_publish(
        actor=carla,
        date=add_business_days(clock.today(), 1),
        shift="manha",
        attendant=carla,
        capacity=3,
    )
    training_book(
        slot,
        ficha,
        actor=carla,
        channel="phone",
        text="Treinar a equipe do escritório",
        bitrix_link=BITRIX,
        boleto_alert_given=True,
    )
    return {
        "ticket": ticket,
        "case": case,
        "onboarding": ficha.onboardings.get(),
        "romaneio": romaneio,
    }


SIDE_BY_SIDE_FITS = """() => [...document.querySelectorAll('.side-by-side')]
  .map(t => t.closest('.card')).every(c => c.scrollWidth <= c.clientWidth)"""


@pytest.mark.parametrize("width", [1280, 390])
def test_support_and_onboarding_pages_look_finished_T1_T8_G5_G7(session, support_world, width):
    w = support_world
    pages = {
        "carla": [
            ("chamados", "/suporte/chamados/"),
            ("chamado", f"/suporte/chamados/{w['ticket'].pk}/"),
            ("fila-sla", "/suporte/fila/"),
            ("emails", "/suporte/emails/"),
            ("github", "/suporte/desenvolvimento/"),
            ("rotina", "/suporte/rotina/"),
            ("revisar-ontem", "/suporte/revisar-ontem/"),
            ("arquitetos", "/suporte/textura/arquitetos/"),
            ("romaneios", "/suporte/textura/romaneios/"),
            ("romaneio", f"/suporte/textura/romaneios/{w['romaneio'].pk}/"),
            ("romaneio-novo", "/suporte/textura/romaneios/novo/"),
            ("cadastro", "/cadastros/novo/"),
            ("onboarding", f"/cadastros/onboarding/{w['onboarding'].pk}/"),
            ("treinamentos", "/cadastros/treinamentos/"),
        ],
        "gabriel": [
            ("rotina-equipe", "/suporte/rotina/equipe/"),
            ("duplicidades", "/cadastros/duplicidades/"),
            ("duplicidade", f"/cadastros/duplicidades/{w['case'].pk}/"),
        ],
    }
    for username, paths in pages.items():
        browser = session(username, width=width)
        for name, path in paths:
            response = browser.page.goto(f"{browser.base_url}{path}")
            assert response.ok, f"{name}: HTTP {response.status}"
            check_page(browser.page, name, width)
            if name == "duplicidade":  # the two fichas side by side, even on a phone
                assert browser.page.evaluate(SIDE_BY_SIDE_FITS), "side-by-side scrolls"
        assert browser.console_errors == []
