from django.contrib import admin

from . import models


@admin.register(models.SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "priority",
        "first_response_minutes",
        "next_update_minutes",
        "resolution_minutes",
        "work_start",
        "work_end",
    ]


@admin.register(models.Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["pk", "subject", "state", "assignee", "urgency", "impact", "created_at"]
    list_filter = ["state", "channel"]
    search_fields = ["subject", "description", "requester", "requester_email"]
    readonly_fields = ["state"]  # T4: state changes only through the flow (audited)


class TicketNoteRevisionInline(admin.TabularInline):
    """T7: the earlier texts of a GitHub comment's note (edited or deleted on GitHub)."""

    model = models.TicketNoteRevision
    extra = 0
    can_delete = False
    readonly_fields = ["change", "text", "at", "by"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.TicketNote)
class TicketNoteAdmin(admin.ModelAdmin):
    list_display = ["at", "ticket", "kind", "author", "external_author", "edited_at", "deleted_at"]
    list_filter = ["kind"]
    readonly_fields = ["edited_at", "deleted_at"]
    inlines = [TicketNoteRevisionInline]


@admin.register(models.TicketAlert)
class TicketAlertAdmin(admin.ModelAdmin):
    list_display = ["at", "ticket", "kind", "target", "due_at", "recipients"]
    list_filter = ["kind", "target"]


@admin.register(models.GithubDelivery)
class GithubDeliveryAdmin(admin.ModelAdmin):
    list_display = ["received_at", "delivery_id", "event", "action", "ticket", "outcome"]
    list_filter = ["event"]


@admin.register(models.Architect)
class ArchitectAdmin(admin.ModelAdmin):
    list_display = ["name", "office", "email", "phone", "city", "active", "updated_at"]
    search_fields = ["name", "office", "email", "phone", "links", "notes"]
    list_filter = ["active"]


@admin.register(models.ArchitectChange)
class ArchitectChangeAdmin(admin.ModelAdmin):
    list_display = ["at", "architect", "author", "created"]


class RomaneioItemInline(admin.TabularInline):
    model = models.RomaneioItem
    extra = 0


@admin.register(models.Romaneio)
class RomaneioAdmin(admin.ModelAdmin):
    list_display = ["number", "date", "store", "architect", "client", "state"]
    list_filter = ["state"]
    search_fields = ["number", "client", "store"]
    readonly_fields = ["state"]
    inlines = [RomaneioItemInline]


@admin.register(models.RomaneioItem)
class RomaneioItemAdmin(admin.ModelAdmin):
    list_display = ["romaneio", "product", "quantity", "unit"]


@admin.register(models.RoutineCheck)
class RoutineCheckAdmin(admin.ModelAdmin):
    list_display = ["day", "user", "item", "done_at", "count_at_check"]
    list_filter = ["item", "day"]


@admin.register(models.MailboxState)
class MailboxStateAdmin(admin.ModelAdmin):
    list_display = ["folder", "uidvalidity", "last_uid", "polled_at", "last_error"]


@admin.register(models.InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    list_display = ["received_at", "from_email", "subject", "outcome", "ticket"]
    list_filter = ["outcome"]
    search_fields = ["message_id", "from_email", "subject"]
    exclude = ["raw"]


@admin.register(models.EmailAttachment)
class EmailAttachmentAdmin(admin.ModelAdmin):
    list_display = ["filename", "content_type", "size", "ticket"]
    exclude = ["content"]


@admin.register(models.TicketNoteRevision)
class TicketNoteRevisionAdmin(admin.ModelAdmin):
    """T7: read-only history of GitHub comments' notes (kept by the webhook, never edited)."""

    list_display = ["at", "note", "change", "by"]
    list_filter = ["change"]
    readonly_fields = ["note", "change", "text", "at", "by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.TicketNoteAttachment)
class TicketNoteAttachmentAdmin(admin.ModelAdmin):
    """Files sent with a reply or an internal note (the conversation's own downloads)."""

    list_display = ["filename", "content_type", "size", "note"]
    exclude = ["content"]
