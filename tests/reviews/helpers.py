from reviews import services
from reviews.services import ReviewInput

from ..conftest import make_delivered_order as delivered_order  # noqa: F401 (shared setup)


def review(line, rating=5, fit="true", **kw):
    data = ReviewInput(
        rating=rating,
        fit=fit,
        title=kw.pop("title", "Good shirt"),
        body=kw.pop("body", "Well sewn."),
        display_name=kw.pop("display_name", "Mei C."),
        **kw,
    )
    return services.publish_review(line, data)
