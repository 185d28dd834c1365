"""G1, G3, G4: every contact with a client, logged complete on the ficha."""

import re
from urllib.parse import parse_qs, urlsplit

from django.conf import settings

from . import clock
from .models import (
    Agendamento,
    Ficha,
    Movimentacao,
    Product,
)
from .refusals import TransitionRefused, refuse_all
from .validators import (
    is_placeholder,
)

BITRIX_PATHS = {
    "conversa": re.compile(r"^/online/?$"),
    "tarefa": re.compile(r"^/(company/personal/user|workgroups/group)/\d+/tasks/task/view/\d+/?$"),
    "negócio": re.compile(r"^/crm/(deal|lead|contact|company)/details/\d+/?$"),
    "card": re.compile(r"^/crm/type/\d+/details/\d+/?$"),
}


def bitrix_link_kind(url: str) -> str:
    """G3: the kind of a Bitrix24 link (conversa, tarefa, negócio, card) or a pt-BR refusal."""
    url = (url or "").strip()
    parts = urlsplit(url)
    host = settings.BITRIX_PORTAL_HOST
    # The whole authority must be the portal: no userinfo, port or backslash, which browsers
    # and Python read differently ("https://evil.example\\@portal/" opens evil.example).
    if parts.scheme != "https" or parts.netloc.lower() != host.lower() or "\\" in url:
        raise TransitionRefused(
            f"Link do Bitrix inválido: use o endereço https://{host}/… da conversa, tarefa, "
            "negócio ou card.",
            "G3",
        )
    for kind, pattern in BITRIX_PATHS.items():
        if pattern.match(parts.path):
            if kind == "conversa" and not parse_qs(parts.query).get("IM_DIALOG"):
                break
            return kind
    raise TransitionRefused(
        "Link do Bitrix não reconhecido: cole o link da conversa, tarefa, negócio ou card.", "G3"
    )


def refuse_if_merged(ficha: Ficha) -> None:
    """G7: a ficha closed by a merge takes no new records (a page opened before the merge
    must not write to it); they belong on the kept ficha."""
    merged_into = (
        Ficha.objects.filter(pk=ficha.pk, status=Ficha.Status.MERGED)
        .values_list("merged_into_id", flat=True)
        .first()
    )
    if merged_into is not None:
        raise TransitionRefused(
            f"Esta ficha foi unificada na ficha nº {merged_into}: registre lá.", "G7"
        )


def movimentacao_log(
    ficha: Ficha,
    *,
    author,
    channel: str,
    reason: str,
    outcome: str,
    text: str,
    bitrix_link: str = "",
    product: Product | None = None,
    agendamento: Agendamento | None = None,
    boleto_alert_given: bool = False,
    starts_tratativa: bool | None = None,
) -> Movimentacao:
    """G1: a complete record of one contact. G3: the first interaction of a tratativa carries
    the Bitrix link (by default, any contact not logged inside an existing agendamento).
    G4: the client is told of open boletos."""
    if starts_tratativa is None:
        starts_tratativa = agendamento is None
    problems = []
    if is_placeholder(text):
        problems.append(
            TransitionRefused(
                "Descreva o contato: texto vazio ou reticências (“...”, “[...]”) não valem.",
                "G1",
                field="text",
            )
        )
    for value, choices, field, label in [
        (channel, Movimentacao.Channel, "channel", "canal"),
        (reason, Movimentacao.Reason, "reason", "motivo"),
        (outcome, Movimentacao.Outcome, "outcome", "resultado"),
    ]:
        if value not in choices.values:
            problems.append(TransitionRefused(f"Escolha o {label} do contato.", "G1", field=field))
    talked = outcome != Movimentacao.Outcome.NO_ANSWER
    if bitrix_link:
        try:
            bitrix_link_kind(bitrix_link)
        except TransitionRefused as refused:
            problems.append(refused.on("bitrix_link"))
    elif talked and starts_tratativa:
        problems.append(
            TransitionRefused(
                "Cole o link do Bitrix (conversa, tarefa, negócio ou card) já na primeira "
                "interação, não no final da tratativa.",
                "G3",
                field="bitrix_link",
            )
        )
    refuse_if_merged(ficha)
    if talked and not boleto_alert_given and ficha.open_boletos().exists():
        problems.append(
            TransitionRefused(
                "Esta ficha tem boletos em aberto: avise o cliente e marque que ele foi avisado.",
                "G4",
                field="boleto_alert_given",
            )
        )
    refuse_all(problems)
    return Movimentacao.objects.create(
        ficha=ficha,
        author=author,
        at=clock.now(),
        channel=channel,
        reason=reason,
        outcome=outcome,
        text=text.strip(),
        bitrix_link=bitrix_link.strip(),
        product=product,
        agendamento=agendamento,
        boleto_alert_given=boleto_alert_given,
    )
