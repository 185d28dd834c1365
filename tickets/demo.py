"""Support demo data told through the services (tickets, SLA, Textura, routine).

Called by the `demo_data` command (web/) after the users and fichas exist; running it again
changes nothing (it returns at once if any ticket exists).
"""

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction

from workflows import clock
from workflows.models import Ficha

from . import desk, routine, textura
from .models import Level, Romaneio, RomaneioItem, RoutineItem, Ticket


@transaction.atomic
def seed() -> None:
    if Ticket.objects.exists():
        return
    users = {u.username: u for u in User.objects.filter(username__in=["carla", "diego"])}
    carla, diego = users.get("carla"), users.get("diego")
    if carla is None:
        return
    fichas = list(Ficha.objects.order_by("pk")[:4])
    ficha = fichas[0] if fichas else None

    down = desk.ticket_create(
        actor=carla,
        ficha=ficha,
        requester=ficha.name if ficha else "Escritório Almeida",
        requester_email=ficha.email if ficha else "",
        channel=Ticket.Channel.PHONE,
        subject="Intimações do TJSP não chegam desde ontem",
        description="Cliente diz que nenhuma publicação do TJSP chegou desde ontem à tarde.",
        urgency=Level.CRITICAL,
        impact=Level.HIGH,
        assignee=diego or carla,
        needs_development=True,
    )
    desk.ticket_act(down, "analyse", actor=carla, reason="Conferindo o robô de captura do TJSP.")
    waiting = desk.ticket_create(
        actor=carla,
        ficha=fichas[1] if len(fichas) > 1 else None,
        requester="Dr. Rafael Monteiro",
        requester_email="rafael.monteiro@gmail.com",
        channel=Ticket.Channel.EMAIL,
        subject="Relatório mensal sai em branco",
        description="O PDF do relatório mensal de outubro sai sem nenhuma linha.",
        urgency=Level.MEDIUM,
        impact=Level.MEDIUM,
        assignee=carla,
    )
    desk.ticket_act(waiting, "analyse", actor=carla, reason="Reproduzindo o relatório.")
    desk.ticket_act(
        waiting, "ask_client", actor=carla, reason="Pedi o período e o filtro usados no relatório."
    )
    desk.ticket_create(
        actor=carla,
        requester="Escritório Almeida",
        channel=Ticket.Channel.WHATSAPP,
        subject="Dúvida sobre cadastro de beneficiário",
        description="Quer saber se o beneficiário recebe as intimações por e-mail.",
        urgency=Level.LOW,
        impact=Level.LOW,
    )

    helena = textura.save_architect(
        {
            "name": "Helena Prado",
            "office": "Prado Arquitetura",
            "email": "helena@pradoarq.com.br",
            "phone": "(11) 98888-1234",
            "city": "São Paulo/SP",
            "links": "Loja Textura Moema\nCondomínio Jardins",
            "notes": "Prefere contato por WhatsApp.",
        },
        actor=carla,
    )
    textura.save_architect(
        {
            "name": "Rui Tavares",
            "office": "Tavares & Lemos",
            "email": "rui@tavareslemos.arq.br",
            "city": "Campinas/SP",
            "links": "Loja Textura Campinas",
        },
        actor=carla,
    )
    romaneio = Romaneio.objects.create(
        number="TX-2031",
        date=clock.today() - dt.timedelta(days=1),
        store="Textura Moema",
        architect=helena,
        client="Condomínio Jardins",
        created_by=carla,
    )
    RomaneioItem.objects.create(
        romaneio=romaneio, product="Piso vinílico Carvalho", quantity=42, unit="m2"
    )
    routine.routine_item_mark(carla, RoutineItem.EMAIL)
