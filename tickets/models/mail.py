"""T1: e-mail intake: how far the poller read the mailbox, each message imported and its
attachments."""

from django.db import models

from workflows import clock

from .tickets import Ticket


class MailboxState(models.Model):
    """T1: how far the poller read one IMAP folder (UIDVALIDITY + last UID)."""

    folder = models.CharField("pasta", max_length=120, unique=True)
    uidvalidity = models.BigIntegerField(default=0)
    last_uid = models.BigIntegerField(default=0)
    polled_at = models.DateTimeField("última leitura", null=True, blank=True)
    last_error = models.CharField("último erro", max_length=300, blank=True)

    class Meta:
        verbose_name = "caixa de entrada do suporte"
        verbose_name_plural = "caixas de entrada do suporte"

    def __str__(self):
        return self.folder


class InboundEmail(models.Model):
    """T1: one message read from the support mailbox, imported exactly once per sender and
    Message-ID (`dedupe_key`): another sender reusing a Message-ID is a different message."""

    class Outcome(models.TextChoices):
        NEW_TICKET = "new_ticket", "Virou chamado"
        REPLY = "reply", "Resposta em chamado"
        FAILED = "failed", "Não importado (mensagem malformada)"

    message_id = models.CharField("Message-ID", max_length=255, db_index=True)
    # sha256 of (sender address, lower-cased) + Message-ID: the import-once key.
    dedupe_key = models.CharField(  # noqa: DJ001 (NULL: unique, and rows from before)
        max_length=64, unique=True, null=True, editable=False
    )
    folder = models.CharField("pasta", max_length=120)
    uid = models.BigIntegerField("UID")
    uidvalidity = models.BigIntegerField()
    from_name = models.CharField("de (nome)", max_length=160, blank=True)
    from_email = models.CharField("de (e-mail)", max_length=254, blank=True)
    subject = models.CharField("assunto", max_length=255, blank=True)
    received_at = models.DateTimeField("recebido em", default=clock.now)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.PROTECT, related_name="emails"
    )
    outcome = models.CharField("resultado", max_length=12, choices=Outcome)
    error = models.TextField("erro", blank=True)
    # T1: the original HTML body (shown in a sandboxed frame); "" for a text-only message.
    html = models.TextField("HTML original", blank=True)
    raw = models.BinaryField("mensagem original")
    # Over SUPPORT_EMAIL_MAX_BYTES only the headers and the text are kept in `raw`.
    raw_truncated = models.BooleanField("original descartado (acima do limite)", default=False)
    raw_size = models.PositiveIntegerField("tamanho do original (bytes)", default=0)

    class Meta:
        verbose_name = "e-mail recebido"
        verbose_name_plural = "e-mails recebidos"
        ordering = ["-received_at", "-pk"]

    def __str__(self):
        return f"{self.from_email}: {self.subject}"


class EmailAttachment(models.Model):
    """T1: an attachment of a client's e-mail, kept with its ticket."""

    email = models.ForeignKey(InboundEmail, on_delete=models.CASCADE, related_name="attachments")
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="attachments")
    filename = models.CharField("arquivo", max_length=255)
    content_type = models.CharField("tipo", max_length=120)
    # An inline image's Content-ID: the original HTML shows it (cid:…) from here.
    content_id = models.CharField("Content-ID", max_length=255, blank=True)
    size = models.PositiveIntegerField("tamanho (bytes)")
    content = models.BinaryField("conteúdo")

    class Meta:
        verbose_name = "anexo"
        ordering = ["pk"]

    def __str__(self):
        return self.filename
