from django.contrib import admin

from . import models


@admin.register(models.FichaKeys)
class FichaKeysAdmin(admin.ModelAdmin):
    list_display = ["ficha", "document", "email", "phone", "oab"]
    search_fields = ["document", "email", "phone", "oab"]
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
