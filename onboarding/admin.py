from django.contrib import admin
from django.db import transaction

from workflows import admin as workflows_admin
from workflows.models import Ficha

from . import models
from .duplicates import ficha_keys_update
from .registration import ficha_onboard


@admin.register(models.FichaKeys)
class FichaKeysAdmin(admin.ModelAdmin):
    list_display = ["ficha", "document", "email", "phone", "oab"]
    search_fields = ["document", "email", "phone", "oab"]
    raw_id_fields = ["ficha"]


@admin.register(models.NameWord)
class NameWordAdmin(admin.ModelAdmin):
    list_display = ["ficha", "word"]
    search_fields = ["=word"]
    raw_id_fields = ["ficha"]


@admin.register(models.DuplicateCase)
class DuplicateCaseAdmin(admin.ModelAdmin):
    list_display = ["pk", "ficha_a", "ficha_b", "matched_keys", "source", "state", "detected_at"]
    list_filter = ["state", "source"]
    raw_id_fields = ["ficha_a", "ficha_b", "kept", "client_contact"]
    readonly_fields = ["state"]  # the state moves only through the flow (G7)


@admin.register(models.MergeRecord)
class MergeRecordAdmin(admin.ModelAdmin):
    list_display = ["at", "kept", "discarded", "actor"]
    raw_id_fields = ["case", "kept", "discarded"]

    def has_change_permission(self, request, obj=None):
        return False  # the record of a merge is what lets it be inspected: read-only

    def has_delete_permission(self, request, obj=None):
        return False


class OnboardingStepInline(admin.TabularInline):
    model = models.OnboardingStep
    fields = ["kind", "state", "note", "by", "at"]
    readonly_fields = fields  # steps move only through their flow (G7)
    extra = 0
    can_delete = False


@admin.register(models.Onboarding)
class OnboardingAdmin(admin.ModelAdmin):
    list_display = ["ficha", "origin", "state", "started_at", "completed_at"]
    list_filter = ["state"]
    raw_id_fields = ["ficha", "origin", "call_agendamento"]
    readonly_fields = ["state"]
    inlines = [OnboardingStepInline]


@admin.register(models.OnboardingStep)
class OnboardingStepAdmin(admin.ModelAdmin):
    list_display = ["onboarding", "kind", "state", "by", "at"]
    list_filter = ["kind", "state"]
    raw_id_fields = ["onboarding"]
    readonly_fields = ["state"]


@admin.register(models.UpsellAnswer)
class UpsellAnswerAdmin(admin.ModelAdmin):
    list_display = ["onboarding", "question", "yes", "by", "at"]
    list_filter = ["question", "yes"]
    raw_id_fields = ["onboarding", "follow_up"]


@admin.register(models.TrainingSlot)
class TrainingSlotAdmin(admin.ModelAdmin):
    list_display = ["date", "shift", "attendant", "capacity", "published_by"]
    list_filter = ["shift", "attendant"]
    date_hierarchy = "date"


@admin.register(models.TrainingBooking)
class TrainingBookingAdmin(admin.ModelAdmin):
    list_display = ["slot", "ficha", "booked_by", "state", "reminded_at"]
    list_filter = ["state"]
    raw_id_fields = ["slot", "ficha", "movimentacao", "rebooked_as"]
    readonly_fields = ["state"]  # booked → cancelled/held only through the flow (G5)


class FichaWithOnboardingAdmin(workflows_admin.FichaAdmin):
    """The Ficha admin, with what the pages do after a write (G7): a new ficha starts its
    onboarding and is compared with the base; an edit of a compared field is compared again.
    It lives here, above workflows, because workflows does not know the onboarding."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            changed = list(form.changed_data)
            transaction.on_commit(lambda: ficha_keys_update(obj, changed=changed))
        else:
            transaction.on_commit(lambda: ficha_onboard(obj, registered_by=request.user))


admin.site.unregister(Ficha)
admin.site.register(Ficha, FichaWithOnboardingAdmin)
