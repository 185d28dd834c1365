"""Forms check types and required fields; the rules live in services and statemachines."""

import re
from decimal import Decimal

from django import forms
from django.core.validators import MaxLengthValidator, MinValueValidator

from workflows import clock
from workflows.models import Ficha
from workflows.numbers import BrDecimalField
from workflows.validators import MAX_TEXT, compact_document, validate_sane_date

from .desk import support_people
from .models import Architect, Romaneio, RomaneioItem, Ticket


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.username


class ClientSearchInput(forms.TextInput):
    """T2: "Ficha do cliente" typed as on Início (name, CPF/CNPJ, e-mail, phone): the
    type-ahead lists fichas (HTMX); picking one fills the hidden `ficha` and shows the
    client's open tickets. Without JavaScript it is a text field for the ficha's number or
    CPF/CNPJ, read on submit."""

    template_name = "tickets/_client_search_widget.html"
    input_type = "search"


FICHA_NUMBER = re.compile(r"(?:n[º°o.]?\s*|#\s*)?(\d{1,9})", re.IGNORECASE)
MERGED_MESSAGE = "A ficha {} foi unificada em outra: escolha a ficha mantida{}."


def ficha_from_text(typed: str) -> Ficha:
    """T2 without JavaScript: the ficha of a number ("123", "nº 123") or a CPF/CNPJ typed any
    common way; merged fichas refused (pointing to the one kept)."""
    number = FICHA_NUMBER.fullmatch(typed.strip())
    document = compact_document(typed)
    found = None
    if number:
        found = Ficha.objects.filter(pk=int(number.group(1))).first()
    if found is None and len(document) in (11, 14):
        found = Ficha.objects.filter(document=document).first()
    if found is None:
        raise forms.ValidationError(
            "Nenhuma ficha com este número ou CPF/CNPJ. Digite o nome, CPF/CNPJ, e-mail ou "
            "telefone e escolha o cliente na lista, ou informe o número da ficha ou o CPF/CNPJ."
        )
    if found.status == Ficha.Status.MERGED:
        kept = found.merged_into
        raise forms.ValidationError(
            MERGED_MESSAGE.format(found.name, f" (nº {kept.pk}, {kept.name})" if kept else "")
        )
    return found


class TicketForm(forms.ModelForm):
    """T2: open a ticket (problem not solved, demand to follow, request from any channel)."""

    ficha = forms.ModelChoiceField(
        queryset=Ficha.objects.exclude(status=Ficha.Status.MERGED),
        required=False,
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": "Esta ficha não pode ser escolhida: não existe ou foi unificada "
            "em outra."
        },
    )
    ficha_busca = forms.CharField(
        label="Ficha do cliente (opcional)",
        required=False,
        max_length=100,
        help_text="Nome, CPF/CNPJ, e-mail ou telefone; ou o número da ficha.",
        widget=ClientSearchInput(attrs={"autocomplete": "off"}),
    )
    assignee = PersonField(label="Responsável", queryset=None, required=False)
    field_order = ["ficha_busca", "ficha"]

    class Meta:
        model = Ticket
        fields = [
            "ficha",
            "requester",
            "requester_email",
            "channel",
            "subject",
            "description",
            "urgency",
            "impact",
            "assignee",
            "needs_development",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = support_people()
        self.fields["description"].max_length = MAX_TEXT
        self.fields["description"].validators.append(MaxLengthValidator(MAX_TEXT))
        # initial=request.GET arrives as lists (a QueryDict merged into a dict): one value each
        self.initial = {
            k: v[-1] if isinstance(v, list) and v else v for k, v in self.initial.items()
        }
        chosen = str(self.initial.get("ficha") or "")
        if not self.is_bound and chosen.isdigit() and len(chosen) < 10:
            ficha = self.fields["ficha"].queryset.filter(pk=chosen).first()
            if ficha is not None:
                self.initial["ficha_busca"] = ficha.name

    def clean_ficha_busca(self):
        return " ".join((self.cleaned_data.get("ficha_busca") or "").split())

    def clean_subject(self):
        """One line (it goes into the e-mail's Subject header, T1)."""
        return " ".join((self.cleaned_data.get("subject") or "").split())

    def clean_requester(self):
        return " ".join((self.cleaned_data.get("requester") or "").split())

    def clean(self):
        data = super().clean()
        typed = data.pop("ficha_busca", "")
        if "ficha" in self.errors:  # a hidden field: its error goes where the user types
            self.add_error("ficha_busca", forms.ValidationError(list(self.errors.pop("ficha"))))
            return data
        if not data.get("ficha") and typed:
            try:
                data["ficha"] = ficha_from_text(typed)
            except forms.ValidationError as error:
                self.add_error("ficha_busca", error)
                return data
        if not data.get("ficha") and not (data.get("requester") or "").strip():
            raise forms.ValidationError("Informe a ficha do cliente ou o nome do contato.")
        return data


class ActionForm(forms.Form):
    """T4: every status change says why (what the client was told, for client-facing ones)."""

    reason = forms.CharField(
        label="Por quê", max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, reason_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if reason_label:
            self.fields["reason"].label = reason_label


class ConfirmForm(forms.Form):
    """A one-click action: nothing to type (the button is the confirmation)."""


class AssignForm(ActionForm):
    assignee = PersonField(label="Responsável", queryset=None)
    field_order = ["assignee", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = support_people()


# -- Textura (T3, T5) --------------------------------------------------------------------------

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ArchitectForm(forms.ModelForm):
    class Meta:
        model = Architect
        fields = Architect.TRACKED
        widgets = {
            "links": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("links", "notes"):
            self.fields[name].max_length = MAX_TEXT
            self.fields[name].validators.append(MaxLengthValidator(MAX_TEXT))

    def clean_email(self):
        email = (self.cleaned_data.get("email") or "").strip().lower()
        if (
            email
            and Architect.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists()
        ):
            raise forms.ValidationError("Já existe um arquiteto com este e-mail.")
        return email

    def clean(self):
        data = super().clean()
        if not data.get("email") and not (data.get("phone") or "").strip():
            raise forms.ValidationError("Informe ao menos um contato: e-mail ou telefone.")
        return data


class RomaneioForm(forms.ModelForm):
    architect = forms.ModelChoiceField(
        label="Arquiteto", queryset=Architect.objects.filter(active=True), required=False
    )

    class Meta:
        model = Romaneio
        fields = ["number", "date", "store", "architect", "client"]
        widgets = {"date": DATE}

    def clean_number(self):
        return (self.cleaned_data.get("number") or "").strip().upper()

    def clean_date(self):
        date = self.cleaned_data.get("date")
        validate_sane_date(date)
        if date and date > clock.today():
            raise forms.ValidationError("A data do romaneio não pode estar no futuro.")
        return date

    def clean(self):
        data = super().clean()
        if not data.get("architect") and not (data.get("client") or "").strip():
            raise forms.ValidationError("Informe o arquiteto ou o cliente do romaneio.")
        return data


class BaseItemFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE", False)]
        if self.require_items and not kept:
            raise forms.ValidationError("Digite ao menos um item para marcar como digitado.")

    require_items = False


class RomaneioItemForm(forms.ModelForm):
    """T5: a romaneio line; its quantity typed the pt-BR way ("35,5" is 35.5, never 355)."""

    quantity = BrDecimalField(
        label="Quantidade",
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"), "A quantidade mínima é 0,01.")],
    )

    class Meta:
        model = RomaneioItem
        fields = ["product", "quantity", "unit"]


RomaneioItemFormSet = forms.inlineformset_factory(
    Romaneio,
    RomaneioItem,
    form=RomaneioItemForm,
    formset=BaseItemFormSet,
    fields=["product", "quantity", "unit"],
    extra=3,
    can_delete=True,
)
