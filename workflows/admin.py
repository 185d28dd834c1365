from django import forms
from django.contrib import admin

from . import models
from .validators import format_cep, normalize_cep


@admin.register(models.AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "content_type", "object_id", "event", "from_state", "to_state"]
    list_filter = ["content_type", "event"]
    search_fields = ["object_id", "reason"]

    def has_change_permission(self, request, obj=None):
        return False  # the audit trail is append-only

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Override)
class OverrideAdmin(admin.ModelAdmin):
    list_display = ["at", "manager", "rule_id", "content_type", "object_id", "reason"]
    list_filter = ["rule_id"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.CompanyHoliday)
class CompanyHolidayAdmin(admin.ModelAdmin):
    """S2/T6: the company calendar, seeded with the official days (businessdays), editable."""

    list_display = ["date", "name", "kind", "closed"]
    list_editable = ["closed"]
    list_filter = ["kind", "closed"]
    date_hierarchy = "date"


@admin.register(models.Timer)
class TimerAdmin(admin.ModelAdmin):
    list_display = [
        "key",
        "content_type",
        "object_id",
        "due_at",
        "armed_state",
        "outcome",
        "attempts",
        "retry_at",
        "last_error",
    ]
    list_filter = ["key", "outcome"]
    readonly_fields = ["attempts", "last_error", "retry_at", "effects"]
    actions = ["retry_failed"]

    @admin.action(description="Tentar de novo os prazos que falharam")
    def retry_failed(self, request, queryset):
        from django.contrib import messages

        from . import timers
        from .refusals import TransitionRefused

        outcomes = []
        for timer in queryset.filter(outcome=models.Timer.Outcome.FAILED):
            try:
                outcomes.append(timers.timer_retry(timer.pk, actor=request.user))
            except TransitionRefused as refused:
                self.message_user(request, refused.message, messages.ERROR)
                return
        summary = ", ".join(f"#{t.pk}: {t.get_outcome_display()}" for t in outcomes)
        self.message_user(request, f"Tentados de novo: {summary or 'nenhum estava em falha.'}")


@admin.register(models.Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "unit", "unit_price", "active"]


class BoletoInline(admin.TabularInline):
    model = models.Boleto
    extra = 0


class FichaAdminForm(forms.ModelForm):
    """The CEP typed as people write it ("01310-100", "01.310-100"), stored as 8 digits."""

    cep = forms.CharField(label="CEP", max_length=12, required=False)

    class Meta:
        model = models.Ficha
        # the admin's Ficha page shows every field (as before this form); a list here would
        # become the admin's whole field list
        fields = "__all__"  # noqa: DJ007

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.initial.get("cep"):
            self.initial["cep"] = format_cep(self.initial["cep"])

    def clean_cep(self):
        return normalize_cep(self.cleaned_data["cep"])


@admin.register(models.Ficha)
class FichaAdmin(admin.ModelAdmin):
    form = FichaAdminForm
    list_display = ["name", "document", "email", "phone", "city", "state_uf", "status"]
    readonly_fields = ["status", "version"]
    search_fields = ["name", "document", "email", "phone", "city", "cep"]
    list_filter = ["status", "state_uf"]
    inlines = [BoletoInline]


@admin.register(models.AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "status", "vacation_from", "vacation_until"]
    list_filter = ["status"]


@admin.register(models.Agendamento)
class AgendamentoAdmin(admin.ModelAdmin):
    """Read-only: agendamentos change state only through their flow (the pages)."""

    list_display = ["ficha", "kind", "product", "owner", "state", "due_date"]
    list_filter = ["kind", "state"]
    readonly_fields = ["state", "version"]


@admin.register(models.Movimentacao)
class MovimentacaoAdmin(admin.ModelAdmin):
    list_display = ["at", "ficha", "author", "channel", "reason", "outcome"]
    list_filter = ["channel", "reason", "outcome"]
    search_fields = ["text", "ficha__name"]

    def has_change_permission(self, request, obj=None):
        return False  # append-only (G1): corrections are new entries

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Sale)
class SaleAdmin(admin.ModelAdmin):
    list_display = ["at", "ficha", "product", "seller", "total", "commission_to", "state"]
    list_filter = ["state", "commission_rule"]
    readonly_fields = ["state", "version"]


@admin.register(models.Boleto)
class BoletoAdmin(admin.ModelAdmin):
    list_display = ["number", "ficha", "amount", "due_date", "paid_at", "waived_at"]
    list_filter = ["paid_at"]


@admin.register(models.DataChangeRequest)
class DataChangeRequestAdmin(admin.ModelAdmin):
    list_display = ["ficha", "field", "third_party", "state", "created_at", "expires_at"]
    list_filter = ["state", "field"]
    readonly_fields = ["state", "version"]


@admin.register(models.Triage)
class TriageAdmin(admin.ModelAdmin):
    list_display = ["started_at", "ficha", "product", "channel", "state", "attendant"]
    list_filter = ["state", "channel"]
    readonly_fields = ["state", "version"]


class OrcamentoItemInline(admin.TabularInline):
    model = models.OrcamentoItem
    extra = 0


@admin.register(models.Orcamento)
class OrcamentoAdmin(admin.ModelAdmin):
    list_display = ["__str__", "author", "state", "created_at", "valid_until"]
    list_filter = ["state"]
    readonly_fields = ["state", "version"]
    inlines = [OrcamentoItemInline]


@admin.register(models.OrcamentoItem)
class OrcamentoItemAdmin(admin.ModelAdmin):
    list_display = ["orcamento", "product", "quantity", "unit_price", "discount"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Derived data: shown for inspection, written only by its own code."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.IndicatorDay)
class IndicatorDayAdmin(ReadOnlyAdmin):
    """Medição's rollup: the kept days (fill_indicators or the nightly schedule write them;
    deleting a day only makes the page count it live again until the next fill)."""

    list_display = ["source", "day", "rolled_at"]
    list_filter = ["source"]
    date_hierarchy = "day"


@admin.register(models.IndicatorGroup)
class IndicatorGroupAdmin(ReadOnlyAdmin):
    list_display = ["day", "g0", "g1", "v0", "v1"]
    list_select_related = ["day"]
