"""Forms check types and required fields; the rules live in services and machines."""

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from workflows.models import Movimentacao
from workflows.numbers import BrIntegerField
from workflows.validators import (
    INVALID_UF,
    MAX_TEXT,
    UF_CHOICES,
    format_cep,
    format_phone,
    validate_sane_date,
)

from .models import TrainingSlot

LINK_LENGTH = 500  # Movimentacao.bitrix_link
FICHA_TERM_LENGTH = 30  # a ficha's number or its CPF/CNPJ, typed with punctuation


def long_text(label: str, *, rows: int = 2, required: bool = False) -> forms.CharField:
    """Free text stored in a TextField: a finite cap (forms.CharField refuses NUL bytes)."""
    return forms.CharField(
        label=label,
        widget=forms.Textarea(attrs={"rows": rows}),
        required=required,
        max_length=MAX_TEXT,
    )


def link(label: str) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=LINK_LENGTH)


class Form(forms.Form):
    """Field ids namespaced by form class, so the many forms of one page keep unique ids."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{type(self).__name__.lower()}-%s")
        super().__init__(*args, **kwargs)


class AddressForm(Form):
    """The holder's address, all optional; the service checks the UF and the CEP (typed
    01310-100, 01310100 or 01.310-100, stored as 8 digits), each refusal on its field."""

    address = forms.CharField(
        label="Endereço (logradouro, número e complemento)",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    district = forms.CharField(label="Bairro", max_length=80, required=False)
    city = forms.CharField(label="Cidade", max_length=80, required=False)
    state_uf = forms.ChoiceField(
        label="UF",
        choices=[("", "—"), *UF_CHOICES],
        required=False,
        error_messages={"invalid_choice": INVALID_UF},
    )
    cep = forms.CharField(
        label="CEP",
        max_length=12,  # 8 digits typed with their punctuation, "01.310-100"
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.initial.get("cep"):  # the stored 8 digits as users write them: 01310-100
            self.initial["cep"] = format_cep(self.initial["cep"])


ADDRESS_FORM_FIELDS = list(AddressForm.base_fields)


class RegistrationForm(AddressForm):
    """The services check the values (registration.py): a CPF or CNPJ (alphanumeric CNPJ
    included), a phone that can exist and the address's UF and CEP, each refusal on its
    field."""

    field_order = ["name", "document", "email", "phone", "oab", *ADDRESS_FORM_FIELDS]
    # Marked with * on the page; the service refuses them empty (all problems in one answer,
    # so the form itself requires nothing).
    marked_required = ("name", "document")

    name = forms.CharField(label="Nome do titular", max_length=160, required=False)
    document = forms.CharField(label="CPF/CNPJ", max_length=20, required=False)
    email = forms.CharField(label="E-mail do administrador", max_length=254, required=False)
    phone = forms.CharField(label="Telefone (com DDD)", max_length=20, required=False)
    oab = forms.CharField(label="OAB (UF e número)", max_length=20, required=False)


class EditForm(AddressForm):
    """What an attendant edits directly: the phone and the address (the rest is S1)."""

    phone = forms.CharField(label="Telefone (com DDD)", max_length=20, required=False)
    field_order = ["phone", *ADDRESS_FORM_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.initial.get("phone"):  # the stored E.164 as users write it: (11) 98765-4321
            self.initial["phone"] = format_phone(self.initial["phone"])


class ContactForm(Form):
    """A movimentação (G1, G3, G4): channel, outcome, what was done, the Bitrix link."""

    channel = forms.ChoiceField(label="Canal", choices=Movimentacao.Channel.choices)
    outcome = forms.ChoiceField(
        label="Resultado",
        choices=[
            (Movimentacao.Outcome.TALKED, Movimentacao.Outcome.TALKED.label),
            (Movimentacao.Outcome.NO_ANSWER, Movimentacao.Outcome.NO_ANSWER.label),
        ],
    )
    text = long_text("O que foi feito", rows=3, required=True)
    bitrix_link = link("Link do Bitrix (conversa, tarefa, negócio ou card)")
    boleto_alert_given = forms.BooleanField(
        label="Avisei o cliente dos boletos em aberto", required=False
    )


class ChooseKeptForm(Form):
    kept = forms.ChoiceField(label="Ficha que o cliente quer manter", widget=forms.RadioSelect)
    answer = long_text("Resposta do cliente")

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kept"].choices = [
            (str(f.pk), f"Ficha {f.pk}: {f.name} ({f.document_display})")
            for f in (case.ficha_a, case.ficha_b)
        ]


class ReasonForm(Form):
    reason = long_text("Por que não é duplicidade?")


def _products():
    from workflows.models import Product

    return Product.objects.filter(active=True)


class StepNoteForm(Form):
    kind = forms.CharField(widget=forms.HiddenInput, max_length=20)
    note = long_text("O que foi feito (ou por que dispensar)")


class CallForm(ContactForm):
    product = forms.ModelChoiceField(label="Produto/serviço do onboarding", queryset=None)
    field_order = ["product", "channel", "outcome", "text", "bitrix_link", "boleto_alert_given"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        products = _products()
        self.fields["product"].queryset = products
        intimacao = products.filter(code="intimacao").first()
        if intimacao is not None:
            self.fields["product"].initial = intimacao.pk


class UpsellForm(Form):
    question = forms.ChoiceField(label="Pergunta", choices=())
    yes = forms.TypedChoiceField(
        label="Resposta",
        choices=[("sim", "Sim"), ("nao", "Não")],
        coerce=lambda v: v == "sim",
        widget=forms.RadioSelect,
    )
    details = long_text("Detalhes da oportunidade")
    follow_up_product = forms.ModelChoiceField(
        label="Abrir agendamento #venda/tratativas com contato sobre (opcional)",
        queryset=None,
        required=False,
    )
    open_orcamento = forms.BooleanField(
        label="Abrir um orçamento com esta oportunidade (G8)", required=False
    )
    channel = forms.ChoiceField(label="Canal", choices=Movimentacao.Channel.choices)
    bitrix_link = link("Link do Bitrix (para o agendamento)")
    boleto_alert_given = forms.BooleanField(
        label="Avisei o cliente dos boletos em aberto", required=False
    )

    def __init__(self, *args, **kwargs):
        from .models import UpsellAnswer

        super().__init__(*args, **kwargs)
        self.fields["question"].choices = UpsellAnswer.Question.choices
        self.fields["follow_up_product"].queryset = _products()


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SlotForm(Form):
    date = forms.DateField(label="Dia", widget=DATE, validators=[validate_sane_date])
    shift = forms.ChoiceField(label="Turno", choices=())
    attendant = forms.ModelChoiceField(label="Atendente do suporte", queryset=None)
    capacity = BrIntegerField(
        label="Vagas",
        initial=3,
        validators=[
            MinValueValidator(1, "Informe ao menos 1 vaga."),
            MaxValueValidator(
                TrainingSlot.MAX_CAPACITY, f"Informe no máximo {TrainingSlot.MAX_CAPACITY} vagas."
            ),
        ],
    )

    def __init__(self, *args, **kwargs):
        from django.contrib.auth import get_user_model

        from workflows.roles import SUPPORT

        super().__init__(*args, **kwargs)
        self.fields["shift"].choices = TrainingSlot.Shift.choices
        self.fields["attendant"].queryset = (
            get_user_model()
            .objects.filter(groups__name=SUPPORT, is_active=True)
            .distinct()
            .order_by("first_name", "username")
        )
        self.fields["attendant"].label_from_instance = lambda u: u.get_full_name() or u.username


class BookingForm(Form):
    ficha = forms.CharField(
        label="Ficha (número ou CPF/CNPJ do cliente)", max_length=FICHA_TERM_LENGTH
    )
    channel = forms.ChoiceField(label="Canal", choices=Movimentacao.Channel.choices)
    text = long_text("O que foi combinado com o cliente", required=True)
    bitrix_link = link("Link do Bitrix")
    boleto_alert_given = forms.BooleanField(
        label="Avisei o cliente dos boletos em aberto", required=False
    )


class CancelBookingForm(Form):
    reason = long_text("Motivo do cancelamento")
    channel = forms.ChoiceField(label="Canal", choices=Movimentacao.Channel.choices)
    boleto_alert_given = forms.BooleanField(
        label="Avisei o cliente dos boletos em aberto", required=False
    )


class RebookForm(CancelBookingForm):
    slot = forms.ModelChoiceField(label="Novo horário", queryset=None)
    bitrix_link = link("Link do Bitrix")
    field_order = ["slot", "reason", "channel", "bitrix_link", "boleto_alert_given"]

    def __init__(self, *args, **kwargs):
        from .training import upcoming_slots

        super().__init__(*args, **kwargs)
        self.fields["reason"].label = "Por que remarcar"
        self.fields["slot"].queryset = upcoming_slots()
