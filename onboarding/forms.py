"""Forms check types and required fields; the rules live in services and machines."""

from django import forms

from workflows.models import Movimentacao


class Form(forms.Form):
    """Field ids namespaced by form class, so the many forms of one page keep unique ids."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{type(self).__name__.lower()}-%s")
        super().__init__(*args, **kwargs)


class RegistrationForm(Form):
    name = forms.CharField(label="Nome do titular", max_length=160, required=False)
    document = forms.CharField(label="CPF/CNPJ", max_length=20, required=False)
    email = forms.CharField(label="E-mail do administrador", max_length=254, required=False)
    phone = forms.CharField(label="Telefone (com DDD)", max_length=20, required=False)
    oab = forms.CharField(label="OAB (UF e número)", max_length=20, required=False)


class EditForm(Form):
    phone = forms.CharField(label="Telefone (com DDD)", max_length=20, required=False)


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
    text = forms.CharField(label="O que foi feito", widget=forms.Textarea(attrs={"rows": 3}))
    bitrix_link = forms.CharField(
        label="Link do Bitrix (conversa, tarefa, negócio ou card)", required=False
    )
    boleto_alert_given = forms.BooleanField(
        label="Avisei o cliente dos boletos em aberto", required=False
    )


class ChooseKeptForm(Form):
    kept = forms.ChoiceField(label="Ficha que o cliente quer manter", widget=forms.RadioSelect)
    answer = forms.CharField(
        label="Resposta do cliente", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kept"].choices = [
            (str(f.pk), f"Ficha {f.pk}: {f.name} ({f.document_display})")
            for f in (case.ficha_a, case.ficha_b)
        ]


class ReasonForm(Form):
    reason = forms.CharField(
        label="Por que não é duplicidade?",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


def _products():
    from workflows.models import Product

    return Product.objects.filter(active=True)


class StepNoteForm(Form):
    kind = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(
        label="O que foi feito (ou por que dispensar)",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


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
    details = forms.CharField(
        label="Detalhes da oportunidade", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    follow_up_product = forms.ModelChoiceField(
        label="Abrir agendamento #venda/tratativas com contato sobre (opcional)",
        queryset=None,
        required=False,
    )
    open_orcamento = forms.BooleanField(
        label="Abrir um orçamento com esta oportunidade (G8)", required=False
    )
    channel = forms.ChoiceField(label="Canal", choices=Movimentacao.Channel.choices)
    bitrix_link = forms.CharField(label="Link do Bitrix (para o agendamento)", required=False)
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
    date = forms.DateField(label="Dia", widget=DATE)
    shift = forms.ChoiceField(label="Turno", choices=())
    attendant = forms.ModelChoiceField(label="Atendente do suporte", queryset=None)
    capacity = forms.IntegerField(label="Vagas", initial=3)

    def __init__(self, *args, **kwargs):
        from django.contrib.auth import get_user_model

        from workflows.roles import SUPPORT

        from .models import TrainingSlot

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
    ficha = forms.CharField(label="Ficha (número ou CPF/CNPJ do cliente)")
    channel = forms.ChoiceField(label="Canal", choices=Movimentacao.Channel.choices)
    text = forms.CharField(
        label="O que foi combinado com o cliente", widget=forms.Textarea(attrs={"rows": 2})
    )
    bitrix_link = forms.CharField(label="Link do Bitrix", required=False)
    boleto_alert_given = forms.BooleanField(
        label="Avisei o cliente dos boletos em aberto", required=False
    )


class CancelBookingForm(Form):
    reason = forms.CharField(
        label="Motivo do cancelamento", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    channel = forms.ChoiceField(label="Canal", choices=Movimentacao.Channel.choices)
    boleto_alert_given = forms.BooleanField(
        label="Avisei o cliente dos boletos em aberto", required=False
    )


class RebookForm(CancelBookingForm):
    slot = forms.ModelChoiceField(label="Novo horário", queryset=None)
    bitrix_link = forms.CharField(label="Link do Bitrix", required=False)
    field_order = ["slot", "reason", "channel", "bitrix_link", "boleto_alert_given"]

    def __init__(self, *args, **kwargs):
        from .training import upcoming_slots

        super().__init__(*args, **kwargs)
        self.fields["reason"].label = "Por que remarcar"
        self.fields["slot"].queryset = upcoming_slots()
