"""The parts the follow-up engine adds to lower apps' pages (shop.sections), registered in ready():

- the owner's order page: the order's follow-ups, planned, sent (alone or in one email with
  others), answered, skipped and why; never the buyer's links;
- the owner's menu: the follow-ups page;
- the reputation figures: which orders were asked for a review.
"""

from orders.sections import manage_order_page
from reviews.reputation import review_requests
from shop.cache import cached_figures
from shop.sections import manage_menu, manage_today

from .figures import requested_orders
from .manage_views import without_links
from .models import FollowUp


def order_follow_ups_context(request, order) -> dict:
    rows = FollowUp.objects.filter(order=order).select_related("merged_into__order")
    return {"follow_ups": without_links(list(rows.order_by("due_at", "id")))}


def today_context(request, obj) -> dict:
    """Follow-ups that failed and wait for a retry. One query, cached for at most
    shop.cache.FIGURES_SECONDS (the dispatcher records outcomes in plain SQL, which sends no
    signal to drop it sooner)."""
    if not request.user.is_owner:
        return {}
    failed = cached_figures(
        "follow-ups-failed", FollowUp.objects.filter(state=FollowUp.State.FAILED).count
    )
    return {"follow_ups_failed": failed}


def register() -> None:
    manage_order_page.register(
        "follow_ups",
        template="followups/manage/_order_follow_ups.html",
        context=order_follow_ups_context,
    )
    manage_menu.register("followups", template={"owner": "followups/manage/_menu.html"})
    manage_today.register(
        "followups", template={"today": "followups/manage/_today.html"}, context=today_context
    )
    review_requests.register(requested_orders)
