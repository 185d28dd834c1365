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

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


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
    text = forms.CharField(label="O que foi feito", widget=forms.Textarea(attrs={"rows": 3}))
    bitrix_link = forms.CharField(
        label="Link do Bitrix (conversa, tarefa, negócio ou card)", required=False
    )
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
    scheduled_for = forms.DateField(
        label="Agendado para (vazio: o prazo da regra)", required=False, widget=DATE
    )
    is_inactivation = forms.BooleanField(label="É sobre inativação", required=False)
    field_order = ["kind", "product", "scheduled_for", "channel", "outcome", "text"]


class SaleForm(Form):
    product = forms.ModelChoiceField(label="Produto", queryset=Product.objects.filter(active=True))
    quantity = forms.IntegerField(label="Quantidade", min_value=1, initial=1)
    discount = forms.DecimalField(
        label="Desconto (R$)", min_value=0, decimal_places=2, initial=0, required=False
    )
    from_campaign = forms.BooleanField(label="Veio de campanha (disparo)", required=False)
    channel = forms.ChoiceField(label="Canal", choices=Movimentacao.Channel.choices)
    data_confirmed = forms.BooleanField(label="Confirmei os dados do cliente", required=False)
    boleto_charge_noted = forms.BooleanField(
        label="Cobrei educadamente os boletos em aberto", required=False
    )
    contractor_name = forms.CharField(
        label="Contratante, se for um terceiro (nome)", required=False
    )
    contractor_email = forms.EmailField(label="E-mail do contratante", required=False)
    request_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["request_token"] = uuid.uuid4().hex


class ConcludeForm(Form):
    text = forms.CharField(
        label="O que você fez (ex.: concluindo agendamento, abri ficha errada)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    channel = forms.ChoiceField(label="Canal", choices=Movimentacao.Channel.choices)


class SensitiveChangeForm(Form):
    field = forms.ChoiceField(
        label="Dado sensível", choices=list(DataChangeRequest.SENSITIVE_FIELDS.items())
    )
    new_value = forms.CharField(label="Novo valor")
    third_party = forms.CharField(label="Quem pediu (terceiro)")


class ReasonForm(Form):
    reason = forms.CharField(label="Justificativa", widget=forms.Textarea(attrs={"rows": 2}))


class AnswerForm(Form):
    answer = forms.CharField(
        label="Resposta do cliente à mensagem de inativação",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ExtendForm(ReasonForm):
    due_date = forms.DateField(label="Novo prazo", widget=DATE)


class ReassignForm(ReasonForm):
    owner = UserChoiceField(label="Novo responsável", queryset=attendants())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = attendants()


class SettleForm(ReasonForm):
    commission_to = UserChoiceField(label="Comissão para", queryset=attendants())


class AvailabilityForm(Form):
    status = forms.ChoiceField(label="Situação", choices=AgentProfile.Status.choices)
    vacation_from = forms.DateField(label="Férias de", required=False, widget=DATE)
    vacation_until = forms.DateField(label="Férias até", required=False, widget=DATE)


class ConfirmForm(Form):
    """An action with nothing to fill in (e.g. renewing an agendamento)."""


class TriageStartForm(Form):
    product = forms.ModelChoiceField(
        label="Produto que o cliente quer", queryset=Product.objects.filter(active=True)
    )
    channel = forms.ChoiceField(label="Canal", choices=Movimentacao.Channel.choices)
    text = forms.CharField(label="O que o cliente pediu", widget=forms.Textarea(attrs={"rows": 2}))
    bitrix_link = forms.CharField(label="Link do Bitrix da conversa", required=False)
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
    price_text = forms.CharField(label="Preço informado", widget=forms.Textarea(attrs={"rows": 2}))


class ComercialForm(Form):
    context = forms.CharField(
        label="Contexto para o comercial", widget=forms.Textarea(attrs={"rows": 2})
    )


class OrcamentoForm(Form):
    demand = forms.CharField(
        label="Análise da demanda (o que o cliente precisa)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    from_campaign = forms.BooleanField(label="Veio de campanha (disparo)", required=False)


class OrcamentoItemForm(Form):
    product = forms.ModelChoiceField(label="Produto", queryset=Product.objects.filter(active=True))
    quantity = forms.IntegerField(
        label="Quantidade (advogados, estados, beneficiários, pesquisas…)", min_value=1, initial=1
    )
    discount = forms.DecimalField(
        label="Desconto (R$)", min_value=0, decimal_places=2, initial=0, required=False
    )


class SendQuoteForm(Form):
    bitrix_link = forms.CharField(label="Link do Bitrix da negociação", required=False)


class AcceptQuoteForm(Form):
    data_confirmed = forms.BooleanField(label="Confirmei os dados do cliente", required=False)
    boleto_charge_noted = forms.BooleanField(
        label="Cobrei educadamente os boletos em aberto", required=False
    )
