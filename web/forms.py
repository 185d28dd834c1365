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
from workflows.models.orcamento import Orcamento, percent_validators
from workflows.numbers import BrDecimalField, BrIntegerField
from workflows.roles import AGENT, SELLER, SUPPORT
from workflows.validators import (
    MAX_DATE,
    MAX_TEXT,
    MIN_DATE,
    money_validators,
    quantity_validators,
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


def quantity_field(label: str) -> BrIntegerField:
    """A quantity typed the pt-BR way ("1.000" is mil): 1..MAX_QUANTITY."""
    return BrIntegerField(label=label, validators=quantity_validators(), initial=1)


def money_field(label: str, **kwargs) -> BrDecimalField:
    """An amount in R$ typed the pt-BR way ("1.234,56"), to the centavo."""
    return BrDecimalField(
        label=label, validators=money_validators(), max_digits=10, decimal_places=2, **kwargs
    )


def discount_field(label: str = "Desconto (R$)") -> BrDecimalField:
    return money_field(label, initial=0, required=False)


def percent_field(label: str = "Desconto (%)") -> BrDecimalField:
    """A percentage typed the pt-BR way ("12,5" or "12,5%"): 0..100, two places."""
    return BrDecimalField(
        label=label,
        validators=percent_validators(),
        max_digits=5,
        decimal_places=2,
        required=False,
    )


class DiscountFields:
    """G8: a discount in % or in R$, one of them (a 0 % is no percentage)."""

    def clean(self):
        data = super().clean()
        if not data.get("discount_percent"):
            data["discount_percent"] = None
        amount_field = "discount_amount" if "discount_amount" in self.fields else "discount"
        data[amount_field] = data.get(amount_field) or 0
        if data["discount_percent"] is not None and data[amount_field]:
            self.add_error("discount_percent", "Informe o desconto em % ou em R$, não os dois.")
        return data


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


class OrcamentoItemForm(DiscountFields, Form):
    product = forms.ModelChoiceField(label="Produto", queryset=Product.objects.filter(active=True))
    quantity = quantity_field("Quantidade (advogados, estados, beneficiários, pesquisas…)")
    discount_percent = percent_field("Desconto no item (%)")
    discount = discount_field("ou desconto no item (R$)")


class QuotePricesForm(DiscountFields, Form):
    """G8 "Definir valores": the whole-quote discount, in % or in R$ (empty: none)."""

    discount_percent = percent_field("Desconto no orçamento (%)")
    discount_amount = discount_field("ou desconto no orçamento (R$)")


class SendQuoteForm(Form):
    bitrix_link = link_field("Link do Bitrix da negociação")


class AcceptQuoteForm(Form):
    data_confirmed = forms.BooleanField(label="Confirmei os dados do cliente", required=False)
    boleto_charge_noted = forms.BooleanField(
        label="Cobrei educadamente os boletos em aberto", required=False
    )


class RejectQuoteForm(Form):
    """G8: the client's refusal: one of the reasons, and details (required for "Outro").
    The service checks both after who may act, so its messages land on the fields."""

    kind = forms.ChoiceField(
        label="Motivo da recusa",
        choices=[("", "Escolha o motivo"), *Orcamento.RejectionKind.choices],
        required=False,
        widget=forms.Select(attrs={"required": True}),
    )
    details = text_field(
        "Detalhes", required=False, help_text="Obrigatório quando o motivo é “Outro”."
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
