from django.contrib import admin

from . import models


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
    list_display = ["date", "name"]
    date_hierarchy = "date"


@admin.register(models.Timer)
class TimerAdmin(admin.ModelAdmin):
    list_display = ["key", "content_type", "object_id", "due_at", "armed_state", "outcome"]
    list_filter = ["key", "outcome"]


@admin.register(models.Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "unit", "unit_price", "active"]


class BoletoInline(admin.TabularInline):
    model = models.Boleto
    extra = 0


@admin.register(models.Ficha)
class FichaAdmin(admin.ModelAdmin):
    list_display = ["name", "document", "email", "phone", "status"]
    search_fields = ["name", "document", "email", "phone"]
    list_filter = ["status"]
    inlines = [BoletoInline]


@admin.register(models.Boleto)
class BoletoAdmin(admin.ModelAdmin):
    list_display = ["number", "ficha", "amount", "due_date", "paid_at"]
    list_filter = ["paid_at"]
