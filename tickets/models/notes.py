"""A ticket's notes: the conversation (client e-mails, replies, internal notes, GitHub
comments — T1, T6, T7), the files sent with a reply and the earlier texts of a GitHub comment."""

from django.conf import settings
from django.db import models

from workflows import clock
from workflows.models import AuditEntry

from .tickets import Ticket


class TicketNote(models.Model):
    """What happened on a ticket besides transitions: client updates, e-mails, GitHub comments.

    T7: a GitHub comment's note keeps the comment's id (`external_id`) and shows the comment
    as it is now: edited on GitHub, its text is the new one (`edited_at`); deleted there, its
    text is DELETED_TEXT (`deleted_at`). Every earlier text is kept in its `revisions`."""

    DELETED_TEXT = "Comentário apagado no GitHub."

    class Kind(models.TextChoices):
        CLIENT_UPDATE = "client_update", "Retorno ao cliente"
        INTERNAL = "internal", "Nota interna"
        GITHUB_COMMENT = "github_comment", "Comentário no GitHub"
        GITHUB = "github", "GitHub"
        EMAIL_IN = "email_in", "E-mail do cliente"
        EMAIL_OUT = "email_out", "Resposta por e-mail"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notes")
    at = models.DateTimeField("quando", default=clock.now, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    external_author = models.CharField("autor externo", max_length=160, blank=True)
    kind = models.CharField("tipo", max_length=20, choices=Kind)
    text = models.TextField("texto")
    external_id = models.CharField(max_length=200, blank=True, db_index=True)
    edited_at = models.DateTimeField("editado no GitHub em", null=True, blank=True)
    deleted_at = models.DateTimeField("apagado no GitHub em", null=True, blank=True)
    # A reply from the ticket page (`tickets.conversation`): the address it went to, why its
    # e-mail failed (after the commit), and the transition it went with (one action).
    sent_to = models.EmailField("enviado para", blank=True)
    delivery_error = models.CharField("falha no envio", max_length=300, blank=True)
    transition = models.ForeignKey(
        AuditEntry,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="mudança de status junto",
    )

    class Meta:
        verbose_name = "registro do chamado"
        verbose_name_plural = "registros dos chamados"
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} em {self.ticket.tag}"

    @property
    def github_comment_id(self) -> int | None:
        """T7: the GitHub comment this note shows (None for other notes)."""
        if self.kind != self.Kind.GITHUB_COMMENT or not self.external_id.isdigit():
            return None
        return int(self.external_id)


class TicketNoteAttachment(models.Model):
    """A file sent with a reply or kept with an internal note (`tickets.conversation`),
    bounded as the intake bounds a client's files."""

    note = models.ForeignKey(TicketNote, on_delete=models.CASCADE, related_name="files")
    filename = models.CharField("arquivo", max_length=255)
    content_type = models.CharField("tipo", max_length=120)
    size = models.PositiveIntegerField("tamanho (bytes)")
    content = models.BinaryField("conteúdo")

    class Meta:
        verbose_name = "anexo de uma resposta"
        verbose_name_plural = "anexos das respostas"
        ordering = ["pk"]

    def __str__(self):
        return self.filename


class TicketNoteRevision(models.Model):
    """T7: a text a GitHub comment's note had before: replaced by an edit on GitHub, or the
    comment's last text when it was deleted there (kept for the audit, never shown as live).
    T4: the same for an internal note its author edited (`tickets.conversation.note_edit`)."""

    class Change(models.TextChoices):
        EDITED = "edited", "Editado no GitHub"
        DELETED = "deleted", "Apagado no GitHub"
        AUTHOR = "author", "Editada pelo autor"

    note = models.ForeignKey(TicketNote, on_delete=models.CASCADE, related_name="revisions")
    change = models.CharField("mudança", max_length=10, choices=Change)
    text = models.TextField("texto anterior")
    at = models.DateTimeField("quando", default=clock.now)
    by = models.CharField("por", max_length=160, blank=True)

    class Meta:
        verbose_name = "versão anterior de um registro"
        verbose_name_plural = "versões anteriores dos registros"
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_change_display()} · {self.note}"
