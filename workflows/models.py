from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.functional import cached_property
from django.utils.module_loading import import_string

from . import clock
from .validators import format_document, normalize_document, validate_meaningful_text


class WorkflowModel(models.Model):
    """A model whose state field is driven by one python-statemachine StateMachine.

    Subclasses set `state_machine_name` (dotted path into their app's statemachines.py) and
    declare the state field. The machine is built lazily, so listing rows builds none.
    State changes go through `workflows.engine.transition`, never by assigning the field.
    """

    state_machine_name: str = ""
    state_field_name: str = "state"
    version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        abstract = True

    @classmethod
    def machine_class(cls):
        return import_string(cls.state_machine_name)

    @cached_property
    def machine(self):
        return self.machine_class()(self, state_field=self.state_field_name)

    @property
    def state_value(self) -> str:
        return getattr(self, self.state_field_name)

    @property
    def state_label(self) -> str:
        return getattr(self, f"get_{self.state_field_name}_display")()

    def refresh_from_db(self, *args, **kwargs):
        self.__dict__.pop("machine", None)
        super().refresh_from_db(*args, **kwargs)


class ObjectRef(models.Model):
    """A pointer to any row: the audit trail and overrides attach to every kind of record."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    target = GenericForeignKey("content_type", "object_id")

    class Meta:
        abstract = True
        indexes = [models.Index(fields=["content_type", "object_id"])]

    @classmethod
    def for_object(cls, obj):
        return cls.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
        )


class AuditEntry(ObjectRef):
    """One transition: who, when, from, to, event, reason and the rule IDs that applied."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    at = models.DateTimeField(default=clock.now, db_index=True)
    event = models.CharField(max_length=64)
    from_state = models.CharField(max_length=64)
    to_state = models.CharField(max_length=64)
    reason = models.TextField(blank=True)
    rule_ids = models.JSONField(default=list, blank=True)

    class Meta(ObjectRef.Meta):
        verbose_name = "registro de auditoria"
        verbose_name_plural = "auditoria"
        ordering = ["at", "pk"]

    def __str__(self):
        who = self.actor or "sistema"
        return f"{self.at:%d/%m/%Y %H:%M} {who}: {self.event} ({self.from_state} → {self.to_state})"


class Override(ObjectRef):
    """M1: a manager's written decision to override a rule's outcome on one record."""

    manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    # The client the record belongs to, so a ficha lists its exceptions in one indexed query.
    ficha = models.ForeignKey(
        "Ficha", null=True, blank=True, on_delete=models.PROTECT, related_name="overrides"
    )
    at = models.DateTimeField(default=clock.now, db_index=True)
    rule_id = models.CharField("regra", max_length=8)
    reason = models.TextField("justificativa", validators=[validate_meaningful_text])
    details = models.JSONField(default=dict, blank=True)

    class Meta(ObjectRef.Meta):
        verbose_name = "exceção do gestor"
        verbose_name_plural = "exceções do gestor"
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.rule_id} por {self.manager} em {self.at:%d/%m/%Y}: {self.reason[:60]}"


class CompanyHoliday(models.Model):
    """A day the company is closed beyond the national holidays (e.g. Carnaval)."""

    date = models.DateField("data", unique=True)
    name = models.CharField("nome", max_length=80)

    class Meta:
        verbose_name = "dia sem expediente"
        verbose_name_plural = "calendário da empresa"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} {self.name}"


class Timer(ObjectRef):
    """A deadline on a row: a django-q2 one-off task fires it, the minute sweep backs it up."""

    key = models.CharField(max_length=40)
    handler = models.CharField(max_length=200)
    due_at = models.DateTimeField(db_index=True)
    armed_state = models.CharField(max_length=64, blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, blank=True)

    class Meta:
        verbose_name = "prazo"
        verbose_name_plural = "prazos"
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "key"], name="one_timer_per_key"
            )
        ]
        indexes = [models.Index(fields=["fired_at", "due_at"])]

    def __str__(self):
        return f"{self.key} de {self.content_type.model} #{self.object_id} em {self.due_at}"

    @property
    def schedule_name(self) -> str:
        return f"timer:{self.pk}"


class Product(models.Model):
    """Catalogue entry: what can be sold, priced per unit (lawyer, state, search, ...)."""

    code = models.SlugField("código", unique=True)
    name = models.CharField("nome", max_length=120)
    unit = models.CharField("unidade", max_length=40, default="assinatura")
    unit_price = models.DecimalField(
        "preço unitário",
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    active = models.BooleanField("ativo", default=True)

    class Meta:
        verbose_name = "produto"
        ordering = ["name"]

    def __str__(self):
        return self.name


class Ficha(WorkflowModel):
    """A client record of the CP: the holder (titular) and how to reach them."""

    state_machine_name = "workflows.statemachines.FichaFlow"
    state_field_name = "status"

    class Status(models.TextChoices):
        ACTIVE = "active", "Ativo"
        INACTIVE_MANUAL = "inactive_manual", "Inativado manualmente"
        INACTIVE_AUTO = "inactive_auto", "Inativado automaticamente"
        MERGED = "merged", "Unificada em outra ficha"

    name = models.CharField("nome do titular", max_length=160)
    document = models.CharField("CPF/CNPJ", max_length=14, unique=True)
    email = models.EmailField("e-mail do administrador", blank=True)
    phone = models.CharField("telefone", max_length=20, blank=True)
    oab = models.CharField("OAB", max_length=20, blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.ACTIVE)
    products = models.ManyToManyField(Product, blank=True, verbose_name="produtos contratados")
    lawyers = models.PositiveIntegerField("advogados", default=1)
    states = models.CharField("estados (UF)", max_length=120, blank=True)
    beneficiaries = models.PositiveIntegerField("beneficiários", default=0)
    seller_of_record = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="vendedor responsável",
    )
    # S5: who inactivated manually, when, and whether the client answered the message.
    inactivated_at = models.DateTimeField("inativado em", null=True, blank=True)
    inactivated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="inativado por",
    )
    inactivation_answer = models.TextField("resposta do cliente à inativação", blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
        verbose_name="unificada em",
    )
    created_at = models.DateTimeField("cadastrado em", default=clock.now)

    class Meta:
        verbose_name = "ficha"
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.document_display})"

    @property
    def document_display(self) -> str:
        return format_document(self.document)

    @property
    def is_company(self) -> bool:
        return len(self.document) == 14

    def clean(self):
        self.document = normalize_document(self.document)

    @property
    def is_inactive(self) -> bool:
        return self.status in (self.Status.INACTIVE_MANUAL, self.Status.INACTIVE_AUTO)

    def open_boletos(self):
        return self.boletos.filter(paid_at__isnull=True, waived_at__isnull=True)


class Boleto(models.Model):
    """A bank slip: open until paid; overdue once past its due date (G4)."""

    ficha = models.ForeignKey(Ficha, on_delete=models.PROTECT, related_name="boletos")
    number = models.CharField("número", max_length=30, unique=True)
    amount = models.DecimalField("valor", max_digits=10, decimal_places=2)
    due_date = models.DateField("vencimento")
    paid_at = models.DateTimeField("pago em", null=True, blank=True)
    waived_at = models.DateTimeField("abonado em (S7)", null=True, blank=True)

    class Meta:
        verbose_name = "boleto"
        ordering = ["due_date"]

    def __str__(self):
        return f"Boleto {self.number}"

    @property
    def is_open(self) -> bool:
        return self.paid_at is None and self.waived_at is None

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_date < clock.today()


class AgentProfile(models.Model):
    """Availability of an attendant (S8 hand-offs, S9 absent or on vacation)."""

    class Status(models.TextChoices):
        AVAILABLE = "available", "Disponível"
        BUSY = "busy", "Ocupado"
        ABSENT = "absent", "Ausente"
        VACATION = "vacation", "De férias"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.AVAILABLE)
    vacation_from = models.DateField("férias de", null=True, blank=True)
    vacation_until = models.DateField("férias até", null=True, blank=True)

    class Meta:
        verbose_name = "disponibilidade do atendente"
        verbose_name_plural = "disponibilidade dos atendentes"

    def __str__(self):
        return f"{self.user}: {self.get_status_display()}"

    def status_on(self, day) -> str:
        """Vacation dates win over the manual status (S9 tells vacation from absence)."""
        on_vacation = self.vacation_from and self.vacation_until
        if on_vacation and self.vacation_from <= day <= self.vacation_until:
            return self.Status.VACATION
        if self.status == self.Status.VACATION:
            return self.Status.AVAILABLE  # vacation ended: back at work
        return self.status


class AgendamentoKind(models.TextChoices):
    """G6: exactly the five types of the rulebook, nothing free-form."""

    SALE_WITH_CONTACT = "venda_com_contato", "#venda/tratativas com contato"
    SALE_WITHOUT_CONTACT = "venda_sem_contato", "#venda/tratativas sem contato"
    WITHOUT_CONTACT = "tratativas_sem_contato", "#tratativas sem contato"
    ONBOARDING = "onboarding", "#onboarding 1º contato"
    SUPPORT = "suporte", "#suporte"


class Agendamento(WorkflowModel):
    """A follow-up owned by one agent, about one product (S2 deadlines, G6 types)."""

    state_machine_name = "workflows.statemachines.AgendamentoFlow"

    class State(models.TextChoices):
        ACTIVE = "active", "Ativo"
        RENEWED = "renewed", "Renovado"
        CONCLUDED = "concluded", "Concluído"
        EXPIRED = "expired", "Expirado"
        CANCELLED = "cancelled", "Cancelado"

    LIVE = (State.ACTIVE, State.RENEWED)

    ficha = models.ForeignKey(Ficha, on_delete=models.PROTECT, related_name="agendamentos")
    kind = models.CharField("tipo", max_length=30, choices=AgendamentoKind)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, verbose_name="produto/serviço")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="agendamentos",
        verbose_name="responsável",
    )
    is_inactivation = models.BooleanField("sobre inativação", default=False)
    state = models.CharField(max_length=20, choices=State, default=State.ACTIVE)
    created_at = models.DateTimeField("criado em", default=clock.now)
    scheduled_for = models.DateField("agendado para")
    due_date = models.DateField("prazo")
    renewed = models.BooleanField("renovado", default=False)
    manager_validated = models.BooleanField("validado pelo gestor", default=False)
    summary = models.CharField("resumo", max_length=80)
    # S2: set past its deadline and not validated by a manager: the console lists these.
    # Stored by the database, so PostgreSQL keeps statistics on it: it guessed a third of all
    # rows for the two-column comparison, and so re-planned the console's query every time.
    awaiting_validation = models.GeneratedField(
        expression=models.Q(manager_validated=False, scheduled_for__gt=models.F("due_date")),
        output_field=models.BooleanField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = "agendamento"
        ordering = ["due_date", "pk"]
        indexes = [
            models.Index(fields=["ficha", "state"]),
            models.Index(fields=["owner", "state"]),
            # The manager console: recently expired ones, latest first (the id breaks ties, so
            # the 30 rows shown come straight off the index, unsorted)...
            models.Index(fields=["state", "due_date", "id"]),
            # ... and the live ones waiting for validation (S2): only those are in this index.
            models.Index(
                fields=["state", "kind", "due_date"],
                condition=models.Q(awaiting_validation=True),
                name="agendamento_to_validate",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.product} · {self.owner}"

    @property
    def is_live(self) -> bool:
        return self.state in self.LIVE

    @property
    def with_contact(self) -> bool:
        return self.kind == AgendamentoKind.SALE_WITH_CONTACT


class Movimentacao(models.Model):
    """G1: one logged contact or interaction on a ficha. Append-only: fix with a new entry."""

    class Channel(models.TextChoices):
        PHONE = "phone", "Telefone"
        CHAT = "chat", "Chat"
        EMAIL = "email", "E-mail"
        WHATSAPP = "whatsapp", "WhatsApp"

    class Reason(models.TextChoices):
        ERROR_RETURN = "error_return", "Retorno de erro"
        SALE = "sale", "Venda"
        OFFER = "offer", "Oferecimento de produto"
        USAGE = "usage", "Dúvida de uso"
        COMPLAINT = "complaint", "Reclamação"
        BILLING = "billing", "Cobrança"
        FOLLOW_UP = "follow_up", "Agendamento"
        TRAINING = "training", "Treinamento"
        ONBOARDING = "onboarding", "Onboarding"
        REGISTRATION = "registration", "Cadastro"
        OTHER = "other", "Outro"

    class Outcome(models.TextChoices):
        TALKED = "talked", "Contato realizado"
        NO_ANSWER = "no_answer", "Tentativa, cliente não atendeu"
        RESOLVED = "resolved", "Resolvido"
        FORWARDED = "forwarded", "Encaminhado"
        PENDING = "pending", "Pendente"

    ficha = models.ForeignKey(Ficha, on_delete=models.PROTECT, related_name="movimentacoes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        verbose_name="autor",
        db_index=False,  # (author, at) below serves it
    )
    at = models.DateTimeField("quando", default=clock.now, db_index=True)
    channel = models.CharField("canal", max_length=20, choices=Channel)
    reason = models.CharField("motivo", max_length=20, choices=Reason)
    outcome = models.CharField("resultado", max_length=20, choices=Outcome)
    text = models.TextField("o que foi feito", validators=[validate_meaningful_text])
    bitrix_link = models.URLField("link do Bitrix", max_length=500, blank=True)
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, verbose_name="produto/serviço"
    )
    agendamento = models.ForeignKey(
        Agendamento,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="movimentacoes",
    )
    boleto_alert_given = models.BooleanField("cliente avisado dos boletos em aberto", default=False)

    class Meta:
        verbose_name = "movimentação"
        verbose_name_plural = "movimentações"
        ordering = ["-at", "-pk"]
        # The ficha's timeline; one author's day (the support routine, T2).
        indexes = [models.Index(fields=["ficha", "-at"]), models.Index(fields=["author", "at"])]

    def __str__(self):
        return f"{self.at:%d/%m/%Y %H:%M} {self.get_reason_display()}: {self.text[:50]}"


class Sale(WorkflowModel):
    """A sale; its state is the commission's: clear at once, or left to a manager (S8, S9, M1)."""

    state_machine_name = "workflows.statemachines.CommissionFlow"

    class State(models.TextChoices):
        REGISTERED = "registered", "Registrada"
        ASSIGNED = "assigned", "Comissão definida"
        TO_SETTLE = "to_settle", "Comissão a definir pelo gestor"
        SETTLED = "settled", "Comissão definida pelo gestor"

    ficha = models.ForeignKey(Ficha, on_delete=models.PROTECT, related_name="sales")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, verbose_name="produto")
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sales"
    )
    at = models.DateTimeField("quando", default=clock.now, db_index=True)
    quantity = models.PositiveIntegerField("quantidade", default=1)
    unit_price = models.DecimalField("preço unitário", max_digits=10, decimal_places=2)
    discount = models.DecimalField("desconto (R$)", max_digits=10, decimal_places=2, default=0)
    total = models.DecimalField("total", max_digits=12, decimal_places=2)
    from_campaign = models.BooleanField("veio de campanha (disparo)", default=False)
    debt_waived = models.BooleanField("dívida com mais de 1 ano abonada (S7)", default=False)
    boleto_charge_noted = models.BooleanField("cobrança dos boletos em aberto feita", default=False)
    state = models.CharField(max_length=20, choices=State, default=State.REGISTERED)
    commission_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="commissions",
        verbose_name="comissão para",
    )
    commission_rule = models.CharField("regra da comissão", max_length=8)
    commission_reason = models.CharField("motivo da comissão", max_length=200)
    # S1: a third party contracting for the client.
    contractor_name = models.CharField("contratante (terceiro)", max_length=160, blank=True)
    contractor_email = models.EmailField("e-mail do contratante", blank=True)
    data_confirmed = models.BooleanField("dados do cliente confirmados", default=False)
    request_token = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = "venda"
        ordering = ["-at", "-pk"]
        # The manager console: commissions to settle, and today's total.
        indexes = [models.Index(fields=["state", "-at"]), models.Index(fields=["-at"])]

    def __str__(self):
        return f"{self.product} para {self.ficha.name} por {self.seller}"


class DataChangeRequest(WorkflowModel):
    """S1: a sensitive-data change a third party proposed, pending the holder's validation."""

    state_machine_name = "workflows.statemachines.DataChangeFlow"

    class State(models.TextChoices):
        PENDING = "pending", "Aguardando o titular"
        CONFIRMED = "confirmed", "Confirmada pelo titular"
        REJECTED = "rejected", "Recusada pelo titular"
        EXPIRED = "expired", "Expirada"

    SENSITIVE_FIELDS = {
        "document": "CPF/CNPJ do titular",
        "name": "nome do titular",
        "email": "e-mail do administrador",
        "oab": "OAB",
    }

    ficha = models.ForeignKey(Ficha, on_delete=models.PROTECT, related_name="data_changes")
    field = models.CharField("dado", max_length=20, choices=list(SENSITIVE_FIELDS.items()))
    old_value = models.CharField("valor atual", max_length=160, blank=True)
    new_value = models.CharField("valor proposto", max_length=160)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="registrado por"
    )
    third_party = models.CharField("terceiro que pediu", max_length=160)
    sent_to = models.EmailField("enviado para")
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField("expira em")
    state = models.CharField(max_length=20, choices=State, default=State.PENDING)

    class Meta:
        verbose_name = "alteração de dado sensível"
        verbose_name_plural = "alterações de dados sensíveis"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_field_display()} de {self.ficha.name}: {self.get_state_display()}"


class Triage(WorkflowModel):
    """S8: one incoming contact (chat, e-mail, phone, WhatsApp) guided through the passos."""

    state_machine_name = "workflows.statemachines.TriageFlow"

    class State(models.TextChoices):
        OFFERED_TO_OWNER = "offered_to_owner", "1º passo: oferecido ao dono do agendamento"
        OFFERED_TO_TEAM = "offered_to_team", "1º passo: aguardando um vendedor disponível"
        HANDED_OFF = "handed_off", "Repassado: vendedor atendendo"
        SELLING = "selling", "2º passo: venda agora"
        TO_COMERCIAL = "to_comercial", "3º passo: com o comercial"
        OPEN = "open", "1º passo: abrindo a ficha"
        PRICE_SENT = "price_sent", "Preço enviado: aguardando retorno"
        SOLD = "sold", "Vendido"
        CLOSED = "closed", "Encerrado sem venda"

    ficha = models.ForeignKey(Ficha, on_delete=models.PROTECT, related_name="triages")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, verbose_name="produto")
    channel = models.CharField("canal", max_length=20, choices=Movimentacao.Channel)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="triages_started"
    )
    started_at = models.DateTimeField(default=clock.now, db_index=True)
    state = models.CharField(max_length=20, choices=State, default=State.OPEN)
    reserved_by = models.ForeignKey(
        Agendamento, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    offered_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="triage_offers",
    )
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    attendant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="triages_attended",
        verbose_name="quem atende",
    )
    context = models.TextField("contexto", blank=True)
    sale = models.ForeignKey(Sale, null=True, blank=True, on_delete=models.PROTECT)
    follow_up = models.ForeignKey(
        Agendamento, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "atendimento receptivo"
        verbose_name_plural = "atendimentos receptivos"
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["state", "offered_to"])]

    def __str__(self):
        return f"{self.ficha.name} · {self.product} · {self.get_channel_display()}"

    @property
    def passo(self) -> str:
        if self.state in (self.State.OPEN, self.State.OFFERED_TO_OWNER, self.State.OFFERED_TO_TEAM):
            return "1º passo"
        if self.state == self.State.TO_COMERCIAL:
            return "3º passo"
        return "2º passo"


class Orcamento(WorkflowModel):
    """G8: a consultative quote: demand → products → values → sent → accepted/rejected/expired."""

    state_machine_name = "workflows.statemachines.OrcamentoFlow"

    class State(models.TextChoices):
        ANALYSING = "analysing", "Demanda em análise"
        PRODUCTS_DEFINED = "products_defined", "Produtos definidos"
        PRICED = "priced", "Valores definidos"
        SENT = "sent", "Enviado"
        ACCEPTED = "accepted", "Aceito"
        REJECTED = "rejected", "Recusado"
        EXPIRED = "expired", "Expirado"

    EDITABLE = (State.ANALYSING, State.PRODUCTS_DEFINED)

    ficha = models.ForeignKey(Ficha, on_delete=models.PROTECT, related_name="orcamentos")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="responsável"
    )
    created_at = models.DateTimeField(default=clock.now)
    state = models.CharField(max_length=20, choices=State, default=State.ANALYSING)
    demand = models.TextField("análise da demanda", validators=[validate_meaningful_text])
    from_campaign = models.BooleanField("veio de campanha (disparo)", default=False)
    valid_until = models.DateField("válido até", null=True, blank=True)
    sent_at = models.DateTimeField("enviado em", null=True, blank=True)
    decided_at = models.DateTimeField("decidido em", null=True, blank=True)
    rejection_reason = models.TextField("motivo da recusa", blank=True)
    follow_up = models.ForeignKey(
        Agendamento, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "orçamento"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.number} · {self.ficha.name}"

    @property
    def number(self) -> str:
        return f"ORC-{self.created_at:%Y}-{self.pk:05d}"

    @property
    def total(self) -> Decimal:
        return sum((item.total for item in self.items.all()), Decimal("0.00"))


class OrcamentoItem(models.Model):
    orcamento = models.ForeignKey(Orcamento, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, verbose_name="produto")
    quantity = models.PositiveIntegerField("quantidade", validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(
        "preço unitário", max_digits=10, decimal_places=2, null=True, blank=True
    )
    discount = models.DecimalField("desconto (R$)", max_digits=10, decimal_places=2, default=0)

    class Meta:
        verbose_name = "item do orçamento"
        verbose_name_plural = "itens do orçamento"
        ordering = ["pk"]

    def __str__(self):
        return f"{self.quantity} × {self.product}"

    @property
    def gross(self) -> Decimal:
        price = self.unit_price if self.unit_price is not None else self.product.unit_price
        return (price * self.quantity).quantize(Decimal("0.01"))

    @property
    def total(self) -> Decimal:
        return self.gross - self.discount


# What a list shows of a related row. Building a related object costs per column read, so a
# 50-row list that reads whole fichas and users spends more on them than on its own rows.
LIST_NAME_FIELDS = {
    "workflows.Ficha": ("name",),
    "workflows.Product": ("name",),
    "auth.User": ("first_name", "last_name", "username"),
}


def with_names(queryset, *relations):
    """`select_related(*relations)` reading only the names (LIST_NAME_FIELDS) of the related
    rows, for lists that print them; the listed rows themselves are read whole."""
    meta = queryset.model._meta
    fields = [f.name for f in meta.concrete_fields]
    for relation in relations:
        related = meta.get_field(relation).related_model._meta.label
        fields += [f"{relation}__{name}" for name in LIST_NAME_FIELDS[related]]
    return queryset.select_related(*relations).only(*fields)
