"""The ticket page's reply editor: the text, the files and what to do with them."""

from django import forms

from workflows.validators import MAX_TEXT

from .conversation import MAX_FILES, REPLY_EVENTS

NOTE = "note"
SEND_CHOICES = [*REPLY_EVENTS.items(), (NOTE, "Nota interna")]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            files = [super(MultipleFileField, self).clean(d, initial) for d in data[:MAX_FILES]]
            if len(data) > MAX_FILES:
                raise forms.ValidationError(f"No máximo {MAX_FILES} anexos por mensagem.")
            return [f for f in files if f]
        single = super().clean(data, initial)
        return [single] if single else []


class ReplyForm(forms.Form):
    """The reply editor: "Responder ao cliente" (with a state change or not) or "Nota interna"."""

    text = forms.CharField(
        label="Mensagem",
        required=False,
        strip=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    files = MultipleFileField(label="Anexos", required=False)
    # The message answered (quoted with "Citar"): "descricao" or a client e-mail's note id.
    answering = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    enviar = forms.ChoiceField(
        choices=SEND_CHOICES,
        widget=forms.HiddenInput,
        error_messages={
            "required": "Escolha “Responder ao cliente” ou “Nota interna”.",
            "invalid_choice": "Escolha “Responder ao cliente” ou “Nota interna”.",
        },
    )


class NoteEditForm(forms.Form):
    """T4: the new text of an internal note (the old one is kept as a revision)."""

    text = forms.CharField(
        label="Texto da nota interna",
        strip=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Escreva a nota."},
    )
