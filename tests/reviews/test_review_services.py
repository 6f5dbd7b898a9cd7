from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from orders import services as order_services
from reviews import services
from reviews.models import ModerationLog, Review, ReviewSummary
from reviews.summary import bayesian_rank
from shop.images import clean_image

from ..factories import ProductFactory, VariantFactory, image_bytes
from ..orders.helpers import place
from .helpers import delivered_order, review

pytestmark = pytest.mark.django_db


def figures(product):
    product.refresh_from_db()
    summary = ReviewSummary.objects.get(product=product)
    return summary.figures(), (
        product.rating_count,
        product.rating_mean,
        round(product.rating_rank, 6),
    )


def test_publish_ties_the_review_to_the_line_and_moves_the_figures():
    order = delivered_order()
    m, l_ = order.lines.all()
    first = review(m, rating=5, fit="small")
    review(l_, rating=2, fit="small")
    product = m.product
    summary, product_fields = figures(product)
    assert summary["count"] == 2 and summary["rating_sum"] == 7
    assert summary["stars_5"] == 1 and summary["stars_2"] == 1 and summary["fit_small"] == 2
    assert product_fields[:2] == (2, Decimal("3.50"))
    assert first.size_bought == "M" and first.order_line == m


def test_a_second_review_of_a_line_is_refused():
    line = delivered_order().lines.first()
    review(line)
    with pytest.raises(services.AlreadyReviewed):
        review(line, rating=1)
    assert Review.objects.count() == 1
    assert ReviewSummary.objects.get().count == 1


def test_the_reviews_of_an_order_are_published_all_or_none():
    order = delivered_order()
    first, second = order.lines.order_by("pk")
    review(second)
    data = services.ReviewInput(rating=4, fit="true", title="Fine", body="Soft.", display_name="M")
    with pytest.raises(services.AlreadyReviewed):
        services.publish_reviews([(first, data, ()), (second, data, ())])
    assert not Review.objects.filter(order_line=first).exists()
    assert Review.objects.filter(order_line=second).count() == 1
    published = services.publish_reviews([(first, data, ())])
    assert [r.order_line_id for r in published] == [first.pk]


def test_an_undelivered_order_cannot_be_reviewed():
    order = place({VariantFactory(stock=3): 1})
    order_services.mark_shipped(order, carrier="SF", tracking_number="1")
    with pytest.raises(services.ReviewError, match="delivered"):
        review(order.lines.get())
    assert not Review.objects.exists()


def test_rating_outside_1_to_5_is_refused_by_the_database():
    from django.db import IntegrityError, transaction

    r = review(delivered_order().lines.first())
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.filter(pk=r.pk).update(rating=6)


def test_hide_needs_a_policy_reason_is_logged_and_unhide_restores():
    order = delivered_order()
    bad = review(order.lines.first(), rating=1)
    with pytest.raises(services.ReviewError):
        services.hide_review(bad, reason="negative", acting_user=None)
    assert Review.objects.get(pk=bad.pk).is_published
    from ..factories import UserFactory

    owner = UserFactory()
    services.hide_review(bad, reason="spam", acting_user=owner, note="link to a casino")
    summary, fields = figures(bad.product)
    assert summary["count"] == 0 and summary["hidden"] == 1 and fields[0] == 0
    log = ModerationLog.objects.get()
    assert (log.action, log.reason, log.actor, log.note) == (
        "hide",
        "spam",
        owner,
        "link to a casino",
    )
    services.unhide_review(bad, acting_user=owner)
    summary, fields = figures(bad.product)
    assert summary["count"] == 1 and summary["hidden"] == 0 and summary["stars_1"] == 1


def test_edit_within_30_days_moves_the_figures_and_marks_edited():
    r = review(delivered_order().lines.first(), rating=2, fit="small")
    data = services.ReviewInput(
        rating=4, fit="true", title="Better after a wash", body="Softer now.", display_name="Mei C."
    )
    edited = services.edit_review(r, data)
    assert edited.edited_at is not None
    summary, _ = figures(r.product)
    assert (
        summary["rating_sum"],
        summary["stars_2"],
        summary["stars_4"],
        summary["fit_small"],
        summary["fit_true"],
    ) == (4, 0, 1, 0, 1)
    Review.objects.filter(pk=r.pk).update(created_at=timezone.now() - timedelta(days=31))
    with pytest.raises(services.ReviewError, match="30 days"):
        services.edit_review(Review.objects.get(pk=r.pk), data)


def test_photos_go_through_the_pipeline():
    line = delivered_order().lines.first()
    photo = clean_image(SimpleUploadedFile("p.jpg", image_bytes(size=(500, 600)), "image/jpeg"))
    r = services.publish_review(
        line, services.ReviewInput(5, "true", "t", "b", "Mei C."), photos=[photo]
    )
    stored = r.photos.get()
    assert stored.original.name.endswith(".webp") and stored.small.name.endswith("-400.webp")
    assert r.photo_count == 1
    with pytest.raises(services.ReviewError, match="At most 4"):
        services.publish_review(
            delivered_order().lines.first(),
            services.ReviewInput(5, "true", "t", "b", "x"),
            photos=[photo] * 5,
        )


def test_recompute_command_gives_the_same_figures():
    product = ProductFactory()
    for n, (rating, fit) in enumerate(
        [(5, "true"), (4, "small"), (1, "large"), (3, "small"), (5, "true")]
    ):
        order = delivered_order(VariantFactory(product=product, stock=5, size=f"S{n}"))
        r = review(order.lines.get(), rating=rating, fit=fit)
    services.hide_review(r, reason="abuse", acting_user=None)
    services.edit_review(
        Review.objects.filter(rating=4).get(), services.ReviewInput(2, "large", "t", "b", "x")
    )
    before = figures(product)
    ReviewSummary.objects.all().delete()
    type(product).objects.update(rating_count=0, rating_mean=0, rating_rank=0)
    call_command("recompute_review_summaries")
    assert figures(product) == before
    assert before[0]["count"] == 4 and before[0]["hidden"] == 1


def test_bayesian_rank_prefers_many_good_reviews_to_one_perfect():
    assert bayesian_rank(200, round(200 * 4.8)) > bayesian_rank(1, 5)


def test_helpful_vote_once_per_person():
    r = review(delivered_order().lines.first())
    assert services.vote_helpful(r, voter="s:abc") == 1
    with pytest.raises(services.ReviewError):
        services.vote_helpful(r, voter="s:abc")
    assert services.vote_helpful(r, voter="u:7") == 2


def test_default_display_name():
    assert services.default_display_name("Mei Chen") == "Mei C."
    assert services.default_display_name("Li") == "Li"
    assert services.default_display_name("Ana María de la Cruz") == "Ana C."


def test_recompute_for_some_products_leaves_the_others_alone():
    from reviews.summary import recompute_all

    reviewed, other = ProductFactory(), ProductFactory()
    review(delivered_order(VariantFactory(product=reviewed, stock=5)).lines.get(), rating=4)
    review(delivered_order(VariantFactory(product=other, stock=5)).lines.get(), rating=2)
    ReviewSummary.objects.update(count=0, rating_sum=0)
    assert recompute_all(product_ids=[reviewed.pk]) == 1
    assert ReviewSummary.objects.get(product=reviewed).count == 1
    assert ReviewSummary.objects.get(product=other).count == 0  # not touched
