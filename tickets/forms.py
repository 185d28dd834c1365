"""Forms check types and required fields; the rules live in services and statemachines."""

from django import forms
from django.core.validators import MaxLengthValidator

from workflows import clock
from workflows.models import Ficha
from workflows.validators import MAX_TEXT, validate_sane_date

from .desk import support_people
from .models import Architect, Romaneio, RomaneioItem, Ticket


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.username


class TicketForm(forms.ModelForm):
    """T2: open a ticket (problem not solved, demand to follow, request from any channel)."""

    ficha = forms.ModelChoiceField(
        label="Ficha do cliente (opcional)",
        queryset=Ficha.objects.order_by("name"),
        required=False,
    )
    assignee = PersonField(label="Responsável", queryset=None, required=False)

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

    def clean_subject(self):
        """One line (it goes into the e-mail's Subject header, T1)."""
        return " ".join((self.cleaned_data.get("subject") or "").split())

    def clean_requester(self):
        return " ".join((self.cleaned_data.get("requester") or "").split())

    def clean(self):
        data = super().clean()
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


RomaneioItemFormSet = forms.inlineformset_factory(
    Romaneio,
    RomaneioItem,
    formset=BaseItemFormSet,
    fields=["product", "quantity", "unit"],
    extra=3,
    can_delete=True,
)
