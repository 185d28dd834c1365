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
