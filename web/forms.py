"""Forms check types and required fields; the rules themselves live in the services."""

import uuid

from django import forms
from django.contrib.auth import get_user_model

from workflows.models import (
    AgendamentoKind,
    AgentProfile,
    DataChangeRequest,
    Movimentacao,
    Product,
)
from workflows.roles import AGENT, SELLER, SUPPORT
from workflows.validators import (
    MAX_AMOUNT,
    MAX_DATE,
    MAX_QUANTITY,
    MAX_TEXT,
    MIN_DATE,
    validate_sane_date,
)

DATE = forms.DateInput(
    attrs={"type": "date", "min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()},
    format="%Y-%m-%d",
)
LINK_LENGTH = 500  # Movimentacao.bitrix_link
CHANGE_LENGTH = 160  # DataChangeRequest.new_value, .third_party; Sale.contractor_name
EMAIL_LENGTH = 254  # models.EmailField


def text_field(label: str, rows: int = 2, **kwargs) -> forms.CharField:
    """Free text stored in a TextField: a finite cap (forms.CharField refuses NUL bytes)."""
    return forms.CharField(
        label=label,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": MAX_TEXT}),
        **kwargs,
    )


def date_field(label: str, **kwargs) -> forms.DateField:
    """A date within the sane range (workflows.validators: 2000-01-01..2100-12-31)."""
    return forms.DateField(label=label, widget=DATE, validators=[validate_sane_date], **kwargs)


def quantity_field(label: str) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=1, max_value=MAX_QUANTITY, initial=1)


def discount_field() -> forms.DecimalField:
    return forms.DecimalField(
        label="Desconto (R$)",
        min_value=0,
        max_value=MAX_AMOUNT,
        max_digits=10,
        decimal_places=2,
        initial=0,
        required=False,
    )


def link_field(label: str) -> forms.CharField:
    return forms.CharField(label=label, max_length=LINK_LENGTH, required=False)


def attendants():
    return (
        get_user_model()
        .objects.filter(groups__name__in=[AGENT, SELLER, SUPPORT], is_active=True)
        .distinct()
        .order_by("first_name", "username")
    )


class Form(forms.Form):
    """Field ids namespaced by form class, so the many forms of one page keep each label
    tied to its own field (and ids stay unique)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{type(self).__name__.lower()}-%s")
        super().__init__(*args, **kwargs)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.username


class ContactFields(Form):
    channel = forms.ChoiceField(label="Canal", choices=Movimentacao.Channel.choices)
    outcome = forms.ChoiceField(label="Resultado", choices=Movimentacao.Outcome.choices)
    text = text_field("O que foi feito", rows=3)
    bitrix_link = link_field("Link do Bitrix (conversa, tarefa, negócio ou card)")
    boleto_alert_given = forms.BooleanField(
        label="Avisei o cliente dos boletos em aberto", required=False
    )


class MovimentacaoForm(ContactFields):
    reason = forms.ChoiceField(label="Motivo", choices=Movimentacao.Reason.choices)
    product = forms.ModelChoiceField(
        label="Produto/serviço", queryset=Product.objects.filter(active=True), required=False
    )
    field_order = ["channel", "reason", "outcome", "product", "text", "bitrix_link"]


class AgendamentoForm(ContactFields):
    kind = forms.ChoiceField(label="Tipo", choices=AgendamentoKind.choices)
    product = forms.ModelChoiceField(
        label="Produto/serviço", queryset=Product.objects.filter(active=True)
    )
    scheduled_for = date_field("Agendado para (vazio: o prazo da regra)", required=False)
    is_inactivation = forms.BooleanField(label="É sobre inativação", required=False)
    field_order = ["kind", "product", "scheduled_for", "channel", "outcome", "text"]


class SaleForm(Form):
    product = forms.ModelChoiceField(label="Produto", queryset=Product.objects.filter(active=True))
    quantity = quantity_field("Quantidade")
    discount = discount_field()
    from_campaign = forms.BooleanField(label="Veio de campanha (disparo)", required=False)
    channel = forms.ChoiceField(label="Canal", choices=Movimentacao.Channel.choices)
    data_confirmed = forms.BooleanField(label="Confirmei os dados do cliente", required=False)
    boleto_charge_noted = forms.BooleanField(
        label="Cobrei educadamente os boletos em aberto", required=False
    )
    contractor_name = forms.CharField(
        label="Contratante, se for um terceiro (nome)", max_length=CHANGE_LENGTH, required=False
    )
    contractor_email = forms.EmailField(
        label="E-mail do contratante", max_length=EMAIL_LENGTH, required=False
    )
    request_token = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["request_token"] = uuid.uuid4().hex


class ConcludeForm(Form):
    text = text_field("O que você fez (ex.: concluindo agendamento, abri ficha errada)")
    channel = forms.ChoiceField(label="Canal", choices=Movimentacao.Channel.choices)


class SensitiveChangeForm(Form):
    field = forms.ChoiceField(
        label="Dado sensível", choices=list(DataChangeRequest.SENSITIVE_FIELDS.items())
    )
    new_value = forms.CharField(label="Novo valor", max_length=CHANGE_LENGTH)
    third_party = forms.CharField(label="Quem pediu (terceiro)", max_length=CHANGE_LENGTH)


class ReasonForm(Form):
    reason = text_field("Justificativa")


class AnswerForm(Form):
    answer = text_field("Resposta do cliente à mensagem de inativação")


class ExtendForm(ReasonForm):
    due_date = date_field("Novo prazo")


class ReassignForm(ReasonForm):
    owner = UserChoiceField(label="Novo responsável", queryset=attendants())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = attendants()


class SettleForm(ReasonForm):
    commission_to = UserChoiceField(label="Comissão para", queryset=attendants())


class AvailabilityForm(Form):
    status = forms.ChoiceField(label="Situação", choices=AgentProfile.Status.choices)
    vacation_from = date_field("Férias de", required=False)
    vacation_until = date_field("Férias até", required=False)


class ConfirmForm(Form):
    """An action with nothing to fill in (e.g. renewing an agendamento)."""


class TriageStartForm(Form):
    product = forms.ModelChoiceField(
        label="Produto que o cliente quer", queryset=Product.objects.filter(active=True)
    )
    channel = forms.ChoiceField(label="Canal", choices=Movimentacao.Channel.choices)
    text = text_field("O que o cliente pediu")
    bitrix_link = link_field("Link do Bitrix da conversa")
    boleto_alert_given = forms.BooleanField(
        label="Avisei o cliente dos boletos em aberto", required=False
    )


class TriageSaleForm(SaleForm):
    """The sale of the triage's own product: no product or channel to choose."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["product"]
        del self.fields["channel"]


class PriceForm(Form):
    via = forms.ChoiceField(
        label="Enviar o preço por", choices=[("chat", "Chat"), ("email", "E-mail")]
    )
    price_text = text_field("Preço informado")


class ComercialForm(Form):
    context = text_field("Contexto para o comercial")


class OrcamentoForm(Form):
    demand = text_field("Análise da demanda (o que o cliente precisa)", rows=3)
    from_campaign = forms.BooleanField(label="Veio de campanha (disparo)", required=False)


class OrcamentoItemForm(Form):
    product = forms.ModelChoiceField(label="Produto", queryset=Product.objects.filter(active=True))
    quantity = quantity_field("Quantidade (advogados, estados, beneficiários, pesquisas…)")
    discount = discount_field()


class SendQuoteForm(Form):
    bitrix_link = link_field("Link do Bitrix da negociação")


class AcceptQuoteForm(Form):
    data_confirmed = forms.BooleanField(label="Confirmei os dados do cliente", required=False)
    boleto_charge_noted = forms.BooleanField(
        label="Cobrei educadamente os boletos em aberto", required=False
    )


class OverrideForm(Form):
    """M1 from a record's history page: the rule an exception releases, and why."""

    rule_id = forms.CharField(label="Regra", max_length=8)
    reason = text_field("Justificativa")

    def clean_rule_id(self):
        return self.cleaned_data["rule_id"].strip().upper()


class FichaSearchForm(forms.Form):
    """The search box: what the client says (CPF/CNPJ, e-mail, phone or name)."""

    q = forms.CharField(label="Buscar ficha", max_length=100, required=False)
