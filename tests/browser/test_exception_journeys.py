"""The exception branches of the journeys, clicked in headless Chromium: a timer that kept
failing and the manager's "Tentar de novo" (timers), a "possível resposta" e-mail linked to
its ticket (T1), the login lockout (django-axes), a superseded S1 holder change, and a second
training booking of one ficha refused (G5).

Time is the project clock (`workflows.clock`), frozen by the `clock` fixture; the timers fire
when the test runs the sweep (`workflows.timers.sweep`), as the django-q2 cluster does every
minute. The live server runs in this process (a thread), so a `monkeypatch` of a module
attribute applies to what the pages do as well.
"""

import datetime as dt
import re
import smtplib
import uuid
from email.message import EmailMessage

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.db.models import F
from playwright.sync_api import expect

from onboarding import training
from onboarding.models import TrainingBooking
from tests.browser.conftest import PASSWORD, screenshot
from tests.sales_fixtures import BITRIX, make_ficha
from tickets import desk, mailbox
from tickets.models import InboundEmail, Ticket, TicketNote
from workflows import third_party, timers
from workflows.businessdays import add_business_days
from workflows.models import DataChangeRequest, Ficha, Timer
from workflows.roles import AGENT, MANAGER, SELLER, SUPPORT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(make_user):
    return {
        "ana": make_user(AGENT, SELLER, username="ana", first_name="Ana"),
        "carla": make_user(
            AGENT, SUPPORT, username="carla", first_name="Carla", email="carla@webplanet.test"
        ),
        "gabriel": make_user(MANAGER, AGENT, username="gabriel", first_name="Gabriel"),
    }


def anonymous(chromium):
    """A browser context nobody logged into (a holder's mail link, the login form)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="pt-BR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


# -- 1. A timer that keeps failing, and the manager's "Tentar de novo" ---------------------------


def test_failed_timer_shows_on_the_console_and_the_manager_retries_it(
    session, people, clock, monkeypatch
):
    carla = people["carla"]
    ficha = make_ficha(name="Dra. Lembrete Souza", email="lembrete@souzaadv.com.br")
    slot = training.training_slot_publish(
        actor=carla,
        date=add_business_days(clock.today(), 2),
        shift="manha",
        attendant=carla,
        capacity=3,
    )
    booking = training.training_book(
        slot,
        ficha,
        actor=people["ana"],
        channel="phone",
        text="Treinar a equipe",
        bitrix_link=BITRIX,
    )
    timer = Timer.for_object(booking).get(key="reminder")

    # The mail server refuses the attendant's reminder (the client's goes through).
    real_send_mail = training.send_mail

    def send_mail(subject, body, sender, recipients, **kwargs):
        if recipients == [carla.email]:
            raise smtplib.SMTPServerDisconnected("servidor de e-mail fora do ar")
        return real_send_mail(subject, body, sender, recipients, **kwargs)

    monkeypatch.setattr(training, "send_mail", send_mail)

    # The day before, at 9h, the reminder falls due; each sweep fails and backs off, until
    # MAX_ATTEMPTS errors end it as "falhou" (about two hours later).
    clock.freeze(training.reminder_due(slot) + dt.timedelta(seconds=30))
    for attempt in range(1, timers.MAX_ATTEMPTS + 1):
        assert timers.sweep() == 0
        timer.refresh_from_db()
        assert timer.attempts == attempt
        if attempt < timers.MAX_ATTEMPTS:
            assert (timer.outcome, timer.fired_at) == (Timer.Outcome.PENDING, None)
            assert timers.sweep() == 0  # backing off: the next sweep does not touch it
            assert Timer.objects.get(pk=timer.pk).attempts == attempt
            clock.freeze(timer.retry_at + dt.timedelta(seconds=1))
    assert timer.outcome == Timer.Outcome.FAILED
    assert timer.last_error == "SMTPServerDisconnected: servidor de e-mail fora do ar"
    # The client's reminder went out once, at the first attempt: retries skipped it.
    assert [m.to for m in mail.outbox] == [["lembrete@souzaadv.com.br"]]
    assert TrainingBooking.objects.get(pk=booking.pk).reminded_at is None

    gabriel = session("gabriel")
    page = gabriel.go("/gestor/")
    section = page.locator(
        "section.card", has=page.get_by_role("heading", name="Prazos automáticos que falharam")
    )
    expect(section).to_contain_text("Lembrete do treinamento (e-mails)")
    page = gabriel.go("/gestor/prazos/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Prazos automáticos que falharam")
    row = page.locator("tbody tr", has_text="Lembrete do treinamento (e-mails)")
    expect(row).to_have_count(1)
    # in the manager's words; the technical text stays for the admin
    expect(row).to_contain_text(Timer.PROBLEMS[0][1])
    expect(row).not_to_contain_text("SMTPServerDisconnected")
    expect(row.locator("td").nth(3)).to_have_text(str(timers.MAX_ATTEMPTS))
    expect(row.get_by_role("link", name=re.compile(rf"#{booking.pk}$"))).to_be_visible()
    screenshot(page, "exceptions-failed-timer")

    # Tried again while the mail server is still down: one more error, still "falhou".
    row.get_by_role("button", name="Tentar de novo").click()
    expect(
        page.get_by_text(
            f"A nova tentativa falhou: {Timer.PROBLEMS[0][1]}",
            exact=True,
        )
    ).to_be_visible()
    expect(row.locator("td").nth(3)).to_have_text(str(timers.MAX_ATTEMPTS + 1))
    assert Timer.objects.get(pk=timer.pk).outcome == Timer.Outcome.FAILED
    assert len(mail.outbox) == 1

    # The mail server is back; the manager tries again: the reminder goes, once.
    monkeypatch.setattr(training, "send_mail", real_send_mail)
    row.get_by_role("button", name="Tentar de novo").click()
    expect(page.get_by_text("Nova tentativa feita: o prazo disparou.", exact=True)).to_be_visible()
    expect(page.get_by_text("Nenhum prazo automático falhou.", exact=True)).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(0)

    timer.refresh_from_db()
    assert timer.outcome == Timer.Outcome.FIRED
    assert [m.to for m in mail.outbox] == [["lembrete@souzaadv.com.br"], [carla.email]]
    assert mail.outbox[1].subject == "Treinamento amanhã: Dra. Lembrete Souza"
    assert TrainingBooking.objects.get(pk=booking.pk).reminded_at == clock.now()
    assert gabriel.console_errors == []


# -- 2. "Vincular ao chamado original" (T1) -----------------------------------------------------

CLIENT = "Dra. Marina Lopes <marina@lopesadv.com.br>"
STRANGER = "Financeiro Lopes <financeiro@lopes-contabil.com.br>"


def raw_mail(sender, subject, body, **headers) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "suporte@webplanet.test"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@mail.example>"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


uids = iter(range(1, 1000))


def receive(raw) -> str:
    """What the IMAP poller does with each new message of the support mailbox."""
    return mailbox.mailbox_import_message(raw, folder="INBOX", uid=next(uids), uidvalidity=1)


def test_T1_possible_reply_from_another_sender_is_linked_to_the_original_ticket(
    session, people, clock
):
    carla = people["carla"]
    assert receive(raw_mail(CLIENT, "Intimações do TJSP não chegam", "Desde ontem nada.")) == (
        "new_ticket"
    )
    original = Ticket.objects.get()
    desk.ticket_act(original, "analyse", actor=carla, reason="Verificando os robôs do TJSP")
    desk.ticket_act(original, "ask_client", actor=carla, reason="Pedi o número de um processo")
    clock.advance(dt.timedelta(minutes=20))

    # Someone else from the office answers, with the ticket's tag: a new ticket, the
    # original untouched.
    answer = "O processo é o 0001234-55.2027.8.26.0100, segue para conferência."
    subject = f"Re: {original.tag} Intimações do TJSP não chegam"
    assert receive(raw_mail(STRANGER, subject, answer)) == "new_ticket"
    suspect = Ticket.objects.exclude(pk=original.pk).get()
    assert suspect.suspected_reply_to == original
    assert Ticket.objects.get(pk=original.pk).state == Ticket.State.WAITING_CLIENT

    browser = session("carla")
    page = browser.go("/suporte/emails/")
    expect(page.locator("tbody")).to_contain_text(f"possível resposta ao chamado #{original.pk}")
    page = browser.go("/suporte/chamados/")
    page.get_by_role("link", name=f"{suspect.tag} {subject}").click()
    flag = page.locator("#possivel-resposta")
    expect(flag).to_contain_text(f"Possível resposta ao chamado {original.tag}")
    expect(flag).to_contain_text("aquele chamado não foi alterado")
    expect(page.locator("p.pre").first).to_have_text(answer)
    screenshot(page, "exceptions-possible-reply")

    flag.get_by_role("button", name=f"Vincular ao chamado {original.tag}").click()
    expect(
        page.get_by_text(
            f"E-mail vinculado ao chamado {original.tag} como resposta do cliente; "
            f"{suspect.tag} concluído.",
            exact=True,
        )
    ).to_be_visible()
    # The browser is on the original ticket now: the message is its client's reply.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Chamado {original.tag} · Intimações do TJSP não chegam"
    )
    expect(page.locator("dl.facts .state").first).to_have_text("Em análise")
    history = page.locator(".timeline").first
    expect(history).to_contain_text(answer)
    expect(history).to_contain_text(f"vinculou o e-mail do chamado {suspect.tag}")

    # The possible-reply ticket is closed as linked, with nothing left to link.
    browser.go(f"/suporte/chamados/{suspect.pk}/")
    expect(page.locator("dl.facts .state").first).to_have_text("Concluído")
    expect(page.locator("#possivel-resposta")).to_contain_text(
        f"Vinculado ao chamado {original.tag}"
    )
    expect(page.get_by_role("button", name=re.compile("Vincular"))).to_have_count(0)

    original.refresh_from_db()
    suspect.refresh_from_db()
    assert (original.state, suspect.state) == ("em_analise", "concluido")
    inbound = InboundEmail.objects.get(from_email="financeiro@lopes-contabil.com.br")
    assert inbound.ticket == original and not suspect.emails.exists()
    reply = original.notes.get(kind=TicketNote.Kind.EMAIL_IN)
    assert (reply.text, reply.external_author) == (answer, STRANGER)
    assert browser.console_errors == []


# -- 3. The login lockout (django-axes) ---------------------------------------------------------


def log_in(page, username, password):
    page.get_by_label("Usuário").fill(username)
    page.get_by_label("Senha").fill(password)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Entrar").click()
    return answer.value


def lock_out(page, base_url, username):
    """Five wrong passwords through the login form: the fifth answers the lockout page."""
    page.goto(f"{base_url}/entrar/")
    for _ in range(4):
        assert log_in(page, username, "senha-errada").status == 200
        expect(page.get_by_text("Usuário ou senha incorretos.")).to_be_visible()
    assert log_in(page, username, "senha-errada").status == 429
    expect(page.get_by_role("heading", level=1)).to_have_text("Acesso bloqueado por alguns minutos")


def minutes_pass(minutes):
    """django-axes times failures with Django's timezone.now(), not the project clock (the
    frozen clock does not reach it): time passing is the recorded failures moving into the
    past."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=minutes))


def test_five_wrong_passwords_lock_the_login_and_the_right_one_waits(chromium, live_server, people):
    context, page = anonymous(chromium)
    try:
        lock_out(page, live_server.url, "ana")
        expect(page.get_by_role("alert")).to_contain_text("o acesso fica bloqueado por 15 minutos")
        expect(page.get_by_text("Espere e tente de novo.")).to_be_visible()
        screenshot(page, "exceptions-login-locked")

        # Locked: even the right password is refused, before it is checked.
        page.get_by_role("link", name="Voltar para a entrada").click()
        assert log_in(page, "ana", PASSWORD).status == 429
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Acesso bloqueado por alguns minutos"
        )
        assert "sessionid" not in {c["name"] for c in context.cookies()}

        # 15 minutes after her fifth wrong password (a try while locked is refused but does not
        # restart the count), the right password lets Ana in, and her failures are cleared.
        minutes_pass(16)
        page.goto(f"{live_server.url}/entrar/")
        assert log_in(page, "ana", PASSWORD).status == 302
        page.wait_for_url(f"{live_server.url}/")
        expect(page.get_by_role("button", name="Sair")).to_be_visible()
        assert not AccessAttempt.objects.filter(username="ana").exists()
    finally:
        context.close()


def test_a_try_during_the_lockout_does_not_restart_the_fifteen_minutes(
    chromium, live_server, people
):
    context, page = anonymous(chromium)
    try:
        lock_out(page, live_server.url, "ana")
        # 14 minutes later Ana tries the right password: still locked, as the page said.
        minutes_pass(14)
        page.goto(f"{live_server.url}/entrar/")
        assert log_in(page, "ana", PASSWORD).status == 429
        # 16 minutes after her fifth wrong password the 15 minutes are over.
        minutes_pass(2)
        page.goto(f"{live_server.url}/entrar/")
        assert log_in(page, "ana", PASSWORD).status == 302
        page.wait_for_url(f"{live_server.url}/")
    finally:
        context.close()


# -- 4. A superseded S1 holder change -----------------------------------------------------------


def propose(page, field, value, who):
    page.locator("summary", has_text="Terceiro pede alteração de dado sensível").click()
    form = page.locator("#form-dado-sensivel")
    form.get_by_label("Dado sensível").select_option(label=field)
    form.get_by_label("Novo valor").fill(value)
    form.get_by_label("Quem pediu (terceiro)").fill(who)
    form.get_by_role("button", name="Enviar para o titular validar").click()
    expect(
        page.get_by_text(
            "Pedido registrado: o titular recebeu um link para confirmar (72 horas).", exact=True
        )
    ).to_be_visible()


def holder_link(message) -> str:
    """The path of the holder's link in the S1 e-mail."""
    return re.search(r"https?://[^/\s]+(/validar/\S+/)", message.body).group(1)


def test_S1_superseded_holder_change_confirms_nothing(
    session, people, clock, chromium, live_server
):
    ficha = make_ficha(name="Dr. Titular Ramos", email="titular@ramosadv.com.br", oab="SP 111.111")
    ana = session("ana")
    page = ana.go(f"/fichas/{ficha.pk}/")
    propose(page, "OAB", "SP 222.222", "Escritório Parceiro Ltda.")
    [first_mail] = mail.outbox
    assert first_mail.to == ["titular@ramosadv.com.br"]

    context, holder = anonymous(chromium)
    try:
        # The holder opens the first link and leaves the page open.
        holder.goto(f"{live_server.url}{holder_link(first_mail)}")
        expect(holder.get_by_text("SP 222.222")).to_be_visible()
        expect(holder.get_by_role("button", name="Confirmar alteração")).to_be_visible()

        # Meanwhile the third party asks for another OAB: the first request is replaced.
        page.reload()
        propose(page, "OAB", "SP 333.333", "Escritório Parceiro Ltda.")
        assert len(mail.outbox) == 2
        expect(page.get_by_text("Aguardando o titular validar")).to_have_count(1)
        expect(page.get_by_text("Aguardando o titular validar")).to_contain_text("SP 333.333")
        first, second = DataChangeRequest.objects.order_by("pk")
        assert (first.state, first.superseded_by) == ("superseded", second)

        # The holder confirms on the stale page: refused, nothing changed.
        holder.get_by_role("button", name="Confirmar alteração").click()
        refusal = holder.get_by_role("alert")
        expect(refusal).to_contain_text("Este pedido foi substituído por um pedido mais novo")
        expect(refusal).to_contain_text("Use o link do e-mail mais recente.")
        expect(holder.get_by_role("button", name="Confirmar alteração")).to_have_count(0)
        assert Ficha.objects.get(pk=ficha.pk).oab == "SP 111.111"
        first.refresh_from_db()
        assert first.state == DataChangeRequest.State.SUPERSEDED

        # Opened again, the first link says so and offers nothing to confirm.
        response = holder.goto(f"{live_server.url}{holder_link(first_mail)}")
        assert response.status == 400
        expect(holder.get_by_role("alert")).to_contain_text("substituído por um pedido mais novo")
        expect(holder.get_by_role("button")).to_have_count(0)
        screenshot(holder, "exceptions-s1-superseded")

        # The newest link still works.
        holder.goto(f"{live_server.url}{holder_link(mail.outbox[1])}")
        expect(holder.get_by_text("SP 333.333")).to_be_visible()
        holder.get_by_role("button", name="Confirmar alteração").click()
        expect(holder.get_by_text("Seus dados foram atualizados.")).to_be_visible()
        screenshot(holder, "exceptions-s1-newest-confirmed")
    finally:
        context.close()
    assert Ficha.objects.get(pk=ficha.pk).oab == "SP 333.333"
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == ("superseded", "confirmed")
    assert ana.console_errors == []


def test_S1_holder_reads_a_correct_pt_br_answer_after_confirming(
    people, clock, chromium, live_server
):
    ficha = make_ficha(name="Dra. Concorda Reis", email="concorda@reisadv.com.br", oab="SP 1.234")
    third_party.data_change_propose(
        ficha, field="oab", new_value="SP 5.678", actor=people["ana"], third_party="Sócio novo"
    )
    context, holder = anonymous(chromium)
    try:
        holder.goto(f"{live_server.url}{holder_link(mail.outbox[0])}")
        holder.get_by_role("button", name="Confirmar alteração").click()
        answer = holder.locator(".flash-success")
        expect(answer).to_contain_text("Seus dados foram atualizados.")
        assert Ficha.objects.get(pk=ficha.pk).oab == "SP 5.678"
        expect(answer).to_have_text(re.compile(r"^Alteração confirmada pelo titular\."))
    finally:
        context.close()


# -- 5. A second training booking for the same ficha (G5) ---------------------------------------


def book(page, slot, ficha_term, text):
    row = page.locator(f"#horario-{slot.pk}")
    row.locator("summary", has_text="Agendar cliente").click()
    row.get_by_label("Ficha (número ou CPF/CNPJ)").fill(ficha_term)
    row.get_by_label("Canal").select_option(label="Telefone")
    row.get_by_label("O que foi combinado com o cliente").fill(text)
    row.get_by_label("Link do Bitrix").fill(BITRIX)
    row.get_by_role("button", name="Agendar").click()


def test_G5_second_training_booking_of_one_ficha_is_refused(session, people, clock):
    carla = people["carla"]
    ficha = make_ficha(name="Dra. Treino Alves", email="treino@alvesadv.com.br")
    first_slot, second_slot = (
        training.training_slot_publish(
            actor=carla,
            date=add_business_days(clock.today(), days),
            shift="tarde",
            attendant=carla,
            capacity=4,
        )
        for days in (2, 3)
    )
    ana = session("ana")
    page = ana.go("/cadastros/treinamentos/")
    book(page, first_slot, str(ficha.pk), "Treinar as duas secretárias do escritório")
    expect(
        page.get_by_text(f"Dra. Treino Alves agendado no treinamento de {first_slot}.", exact=True)
    ).to_be_visible()
    first_row = page.locator(f"#horario-{first_slot.pk}")
    expect(first_row.get_by_role("link", name="Dra. Treino Alves")).to_be_visible()
    expect(first_row).to_contain_text("3 de 4 livres")

    # The same client into another slot, by CPF this time: refused, the first kept.
    book(page, second_slot, ficha.document, "Cliente pediu outro dia também")
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text(training.ALREADY_BOOKED)
    expect(refusal.locator(".rule")).to_have_text("G5")
    second_row = page.locator(f"#horario-{second_slot.pk}")
    expect(second_row).to_contain_text("ninguém ainda")
    expect(second_row).to_contain_text("4 de 4 livres")
    expect(second_row.get_by_label("O que foi combinado com o cliente")).to_have_value(
        "Cliente pediu outro dia também"
    )
    expect(
        page.locator(f"#horario-{first_slot.pk}").get_by_role("link", name="Dra. Treino Alves")
    ).to_be_visible()
    screenshot(page, "exceptions-g5-second-booking")

    [booking] = TrainingBooking.objects.filter(ficha=ficha)
    assert (booking.slot, booking.state) == (first_slot, TrainingBooking.State.BOOKED)
    assert ficha.movimentacoes.count() == 1  # the refused booking logged nothing
    assert ana.console_errors == []
