"""The client record (ficha) of the CP, the products it can hold and its boletos; and the
names a list reads of them (`with_names`)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models

from .. import clock
from ..validators import (
    MAX_QUANTITY,
    MAX_UNIT_PRICE,
    UF_CHOICES,
    format_cep,
    format_document,
    format_phone,
    money_validators,
    normalize_cep,
    normalize_document,
    normalize_phone,
    normalize_uf,
    validate_sane_date,
)
from .base import WorkflowModel


class Product(models.Model):
    """Catalogue entry: what can be sold, priced per unit (lawyer, state, search, ...)."""

    code = models.SlugField("código", unique=True)
    name = models.CharField("nome", max_length=120)
    unit = models.CharField("unidade", max_length=40, default="assinatura")
    unit_price = models.DecimalField(
        "preço unitário",
        max_digits=10,
        decimal_places=2,
        # bounded so the largest quantity of it fits a sale's total (see validators)
        validators=money_validators(MAX_UNIT_PRICE),
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
    # the holder's address, one line each: street (with number and complement), district,
    # city, UF, CEP
    ADDRESS_FIELDS = ("address", "district", "city", "state_uf", "cep")

    class Status(models.TextChoices):
        ACTIVE = "active", "Ativo"
        INACTIVE_MANUAL = "inactive_manual", "Inativado manualmente"
        INACTIVE_AUTO = "inactive_auto", "Inativado automaticamente"
        MERGED = "merged", "Unificada em outra ficha"

    name = models.CharField("nome do titular", max_length=160)
    document = models.CharField("CPF/CNPJ", max_length=14, unique=True)
    email = models.EmailField("e-mail do administrador", blank=True)
    # E.164 ("+5511987654321"), shown "(11) 98765-4321" by the `phone` filter (templatetags.brazil)
    phone = models.CharField("telefone", max_length=20, blank=True)
    oab = models.CharField("OAB", max_length=20, blank=True)
    # The holder's address, printed on the quote document (G8); not a G7 key nor S1 data.
    address = models.CharField(
        "endereço (logradouro, número e complemento)", max_length=200, blank=True
    )
    district = models.CharField("bairro", max_length=80, blank=True)
    city = models.CharField("cidade", max_length=80, blank=True)
    state_uf = models.CharField("UF", max_length=2, choices=UF_CHOICES, blank=True)
    # 8 digits ("01310100"), shown "01310-100" (`cep_display`)
    cep = models.CharField("CEP", max_length=8, blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.ACTIVE)
    products = models.ManyToManyField(Product, blank=True, verbose_name="produtos contratados")
    lawyers = models.PositiveIntegerField(
        "advogados", default=1, validators=[MaxValueValidator(MAX_QUANTITY)]
    )
    states = models.CharField("estados (UF)", max_length=120, blank=True)
    beneficiaries = models.PositiveIntegerField(
        "beneficiários", default=0, validators=[MaxValueValidator(MAX_QUANTITY)]
    )
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
    def phone_display(self) -> str:
        """(11) 98765-4321, however it is stored."""
        return format_phone(self.phone)

    @property
    def cep_display(self) -> str:
        """01310-100, however it is stored."""
        return format_cep(self.cep)

    @property
    def address_lines(self) -> list[str]:
        """The address as an envelope reads it: "Av. Paulista, 1000, conj. 101 – Bela Vista",
        "São Paulo/SP · CEP 01310-100"; only the lines that have something, [] for none."""
        street = " – ".join(part for part in (self.address, self.district) if part)
        place = "/".join(part for part in (self.city, self.state_uf) if part)
        if self.cep:
            place = " · ".join(part for part in (place, f"CEP {self.cep_display}") if part)
        return [line for line in (street, place) if line]

    @property
    def address_display(self) -> str:
        """The whole address on one line ("" for none)."""
        return " · ".join(self.address_lines)

    @property
    def is_company(self) -> bool:
        return len(self.document) == 14

    def clean(self):
        """The admin's check: a valid CPF/CNPJ (alphanumeric CNPJ included), a phone that can
        exist, a UF and a CEP, stored in their normalised forms; pt-BR errors on the field."""
        errors = {}
        for field, normalize in (
            ("document", normalize_document),
            ("phone", normalize_phone),
            ("state_uf", normalize_uf),
            ("cep", normalize_cep),
        ):
            try:
                setattr(self, field, normalize(getattr(self, field)))
            except ValidationError as error:
                errors[field] = error.messages
        if errors:
            raise ValidationError(errors)

    @property
    def is_inactive(self) -> bool:
        return self.status in (self.Status.INACTIVE_MANUAL, self.Status.INACTIVE_AUTO)

    def open_boletos(self):
        return self.boletos.filter(paid_at__isnull=True, waived_at__isnull=True)


class Boleto(models.Model):
    """A bank slip: open until paid; overdue once past its due date (G4)."""

    ficha = models.ForeignKey(Ficha, on_delete=models.PROTECT, related_name="boletos")
    number = models.CharField("número", max_length=30, unique=True)
    amount = models.DecimalField(
        "valor", max_digits=10, decimal_places=2, validators=money_validators()
    )
    due_date = models.DateField("vencimento", validators=[validate_sane_date])
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
