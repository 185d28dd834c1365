"""Forms check types and required fields; the rules live in services and statemachines."""

from django import forms

from workflows.models import Ficha

from .models import Ticket
from .services import support_people


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
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = support_people()

    def clean(self):
        data = super().clean()
        if not data.get("ficha") and not (data.get("requester") or "").strip():
            raise forms.ValidationError("Informe a ficha do cliente ou o nome do contato.")
        return data


class ActionForm(forms.Form):
    """T4: every status change says why (what the client was told, for client-facing ones)."""

    reason = forms.CharField(label="Por quê", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, reason_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if reason_label:
            self.fields["reason"].label = reason_label


class AssignForm(ActionForm):
    assignee = PersonField(label="Responsável", queryset=None)
    field_order = ["assignee", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = support_people()
