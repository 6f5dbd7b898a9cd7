from django.contrib import admin

from config.admin import ReadOnlyAdmin

from .models import PaymentAttempt, PaymentNotice, Refund


class NoticeInline(admin.TabularInline):
    model = PaymentNotice
    fields = ("received_at", "source", "outcome", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# Payments change only through the payments services (a verified notification, the owner's
# refund, the jobs): an edit here would make the shop's record disagree with the provider's.
@admin.register(PaymentAttempt)
class PaymentAttemptAdmin(ReadOnlyAdmin):
    list_display = ("out_trade_no", "order", "gateway", "state", "amount", "refunded_amount")
    list_filter = ("gateway", "state")
    search_fields = ("out_trade_no", "trade_no", "order__number")
    list_select_related = ("order",)
    inlines = [NoticeInline]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("out_refund_no", "attempt", "amount", "state", "created_at", "settled_at")
    list_filter = ("state",)
    search_fields = ("out_refund_no", "refund_id", "attempt__out_trade_no")
    list_select_related = ("attempt",)
