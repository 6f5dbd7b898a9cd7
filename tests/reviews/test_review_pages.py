import json
import re

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders import services as order_services
from reviews import services
from reviews.models import Review, ReviewReply

from ..factories import ProductFactory, VariantFactory, image_upload
from ..orders.helpers import place
from .helpers import delivered_order, review

pytestmark = pytest.mark.django_db


def form_data(line, **overrides):
    p = f"line-{line.pk}-"
    data = {
        p + "rating": "4",
        p + "fit": "small",
        p + "title": "Lovely linen",
        p + "body": "Soft and well sewn.",
        p + "display_name": "Mei C.",
        p + "height_cm": "165",
        p + "usual_size": "M",
    }
    data.update({p + k: v for k, v in overrides.items()})
    return data


def test_buyer_reviews_two_lines_with_a_photo_on_one_page(client):
    order = delivered_order()
    url = services.review_url(order)
    page = client.get(url).content.decode()
    m, l_ = order.lines.all()
    assert f'name="line-{m.pk}-rating"' in page and f'name="line-{l_.pk}-rating"' in page
    assert 'value="Mei C."' in page  # display name defaults to first name and last initial
    data = {**form_data(m), **form_data(l_, rating="2", fit="large", title="Too long")}
    data[f"line-{m.pk}-photos"] = [image_upload("fabric.jpg", size=(300, 400))]
    response = client.post(url, data)
    assert response.status_code == 302
    first, second = Review.objects.order_by("order_line_id")
    assert (first.rating, first.fit, first.height_cm, first.size_bought, first.photo_count) == (
        4,
        "small",
        165,
        "M",
        1,
    )
    assert (second.rating, second.fit) == (2, "large")
    product_page = client.get(m.product.get_absolute_url()).content.decode()
    assert (
        "Verified purchase" in product_page
        and "Lovely linen" in product_page
        and "Too long" in product_page
    )
    assert (
        "bought M" in product_page
        and "165 cm tall" in product_page
        and "usually wears M" in product_page
    )
    after = client.get(url).content.decode()
    assert "You have reviewed everything" in after and "Edit my review" in after


def test_a_line_left_empty_is_skipped_and_a_bad_one_saves_nothing(client):
    order = delivered_order()
    m, l_ = order.lines.all()
    url = services.review_url(order)
    response = client.post(url, form_data(m, rating="9"))
    assert response.status_code == 422 and "Choose from 1 to 5 stars" in response.content.decode()
    response = client.post(url, {**form_data(m), **form_data(l_, title="")})
    assert response.status_code == 422 and "This field is required" in response.content.decode()
    assert not Review.objects.exists()
    client.post(url, form_data(m))
    assert Review.objects.count() == 1


def test_a_second_review_of_the_same_line_is_refused(client):
    order = delivered_order()
    m = order.lines.first()
    review(m)
    response = client.post(services.review_url(order), form_data(m, title="Again"))
    # The reviewed line has no form any more: the post changes nothing.
    assert Review.objects.count() == 1 and Review.objects.get().title == "Good shirt"
    assert response.status_code == 422


def test_a_non_image_photo_is_refused(client):
    order = delivered_order()
    m = order.lines.first()
    data = form_data(m)
    data[f"line-{m.pk}-photos"] = [SimpleUploadedFile("x.jpg", b"not an image", "image/jpeg")]
    response = client.post(services.review_url(order), data)
    assert response.status_code == 422 and "not an image" in response.content.decode()
    assert not Review.objects.exists()


@pytest.mark.parametrize("kind", ["forged", "tampered", "expired", "undelivered"])
def test_bad_review_links_are_refused_clearly(client, kind, settings):
    order = delivered_order()
    if kind == "forged":
        token = "not-a-token"
    elif kind == "tampered":
        token = signing.dumps(
            {"o": order.pk, "k": "wrongprefix"}, salt=services.LINK_SALT, compress=True
        )
    elif kind == "expired":
        token = services.review_token(order)
        settings.REVIEW_LINK_DAYS = -1
    else:
        other = place({VariantFactory(stock=2): 1})
        token = services.review_token(other)
    response = client.get(reverse("reviews:write", args=[token]))
    assert response.status_code == 400
    text = response.content.decode()
    assert {
        "forged": "not valid",
        "tampered": "not valid",
        "expired": "expired",
        "undelivered": "once the order is delivered",
    }[kind] in text
    assert (
        client.post(
            reverse("reviews:write", args=[token]), form_data(order.lines.first())
        ).status_code
        == 400
    )
    assert not Review.objects.exists()


def test_edit_link_for_a_review_of_another_order_is_404(client):
    mine, other = delivered_order(), delivered_order()
    theirs = review(other.lines.first())
    url = reverse("reviews:edit", args=[services.review_token(mine), theirs.pk])
    assert (
        client.post(
            url, {"rating": "1", "fit": "true", "title": "x", "body": "x", "display_name": "x"}
        ).status_code
        == 404
    )
    assert Review.objects.get().rating == 5


def test_edit_marks_the_review_edited(client):
    order = delivered_order()
    r = review(order.lines.first(), rating=3)
    url = reverse("reviews:edit", args=[services.review_token(order), r.pk])
    client.post(
        url,
        {
            "rating": "5",
            "fit": "true",
            "title": "Grew on me",
            "body": "Better after a wash.",
            "display_name": "Mei C.",
        },
    )
    r.refresh_from_db()
    assert r.rating == 5 and r.edited_at
    assert "edited" in client.get(r.product.get_absolute_url()).content.decode()


def test_user_text_is_escaped_on_the_product_page(client):
    r = review(
        delivered_order().lines.first(),
        title="<script>alert(1)</script>",
        body="<b>bold</b></script>",
    )
    html = client.get(r.product.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert (
        "</script>" not in ld and json.loads(ld)["review"][0]["name"] == "<script>alert(1)</script>"
    )


def test_product_page_figures_fit_summary_and_hidden_count(client):
    product = ProductFactory()
    ratings = [(5, "small"), (4, "small"), (4, "small"), (2, "true"), (1, "small")]
    reviews_ = [
        review(
            delivered_order(VariantFactory(product=product, size=f"S{n}", stock=3)).lines.get(),
            rating=r,
            fit=f,
        )
        for n, (r, f) in enumerate(ratings)
    ]
    services.hide_review(reviews_[0], reason="personal_data", acting_user=None)
    html = client.get(product.get_absolute_url()).content.decode()
    assert "2.8" in html  # (4+4+2+1)/4
    assert "Runs small: 75% (3 answers)" in html and "4 buyers answered" in html
    assert "1 review is hidden for a policy reason" in html
    ld = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    )
    assert ld["@type"] == "Product"
    assert ld["aggregateRating"] == {
        "@type": "AggregateRating",
        "ratingValue": "2.75",
        "reviewCount": 4,
        "bestRating": 5,
        "worstRating": 1,
    }
    assert len(ld["review"]) == 4 and all(r["author"]["@type"] == "Person" for r in ld["review"])
    assert "Organization" not in json.dumps(ld)  # no self-serving rating about the shop


def test_no_rating_markup_without_reviews(client):
    product = ProductFactory()
    VariantFactory(product=product)
    html = client.get(product.get_absolute_url()).content.decode()
    ld = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    )
    assert "aggregateRating" not in ld and "review" not in ld
    assert "No reviews yet" in html


def test_filters_sort_and_htmx_fragment(client):
    product = ProductFactory()
    for n, rating in enumerate([5, 1, 3]):
        review(
            delivered_order(VariantFactory(product=product, size=f"S{n}", stock=3)).lines.get(),
            rating=rating,
            title=f"Rated {rating} stars by a buyer",
        )
    one = client.get(
        product.get_absolute_url(),
        {"stars": 1},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="review-list",
    ).content.decode()
    assert (
        one.lstrip().startswith('<div id="review-list"')
        and "Rated 1 stars" in one
        and "Rated 5 stars" not in one
    )
    lowest = client.get(product.get_absolute_url(), {"sort": "lowest"}).content.decode()
    assert (
        lowest.index("Rated 1 stars")
        < lowest.index("Rated 3 stars")
        < lowest.index("Rated 5 stars")
    )
    sized = client.get(product.get_absolute_url(), {"size": "S2"}).content.decode()
    assert "Rated 3 stars" in sized and "Rated 5 stars" not in sized


def test_owner_reply_shows_under_the_review(owner_client):
    from django.test import Client

    client = Client()
    r = review(delivered_order().lines.first(), rating=2)
    response = owner_client.post(
        reverse("reviews_manage:reply", args=[r.pk]),
        {"body": "Sorry! We sent a new one."},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and f'id="manage-review-{r.pk}"' in response.content.decode()
    owner_client.post(
        reverse("reviews_manage:reply", args=[r.pk]), {"body": "Sorry! A new one is on its way."}
    )
    assert ReviewReply.objects.get().body == "Sorry! A new one is on its way."
    assert "A new one is on its way" in client.get(r.product.get_absolute_url()).content.decode()


def test_owner_cannot_hide_without_a_policy_reason(owner_client):
    r = review(delivered_order().lines.first(), rating=1)
    response = owner_client.post(
        reverse("reviews_manage:hide", args=[r.pk]),
        {"reason": "too negative"},
        HTTP_HX_REQUEST="true",
    )
    assert (
        response.status_code == 422
        and "never hidden for being negative" in response.content.decode()
    )
    r.refresh_from_db()
    assert r.is_published


def test_manage_reviews_filters_and_roles(owner_client, support_user):
    from django.test import Client

    client = Client()
    replied = review(delivered_order().lines.first(), rating=5, title="Replied one")
    review(delivered_order().lines.first(), rating=1, title="Unreplied one")
    services.reply_to_review(replied, body="Thanks", acting_user=None)
    html = owner_client.get(
        reverse("reviews_manage:review_list"), {"replied": "no"}
    ).content.decode()
    assert "Unreplied one" in html and "Replied one" not in html
    html = owner_client.get(reverse("reviews_manage:review_list"), {"rating": "5"}).content.decode()
    assert "Replied one" in html and "Unreplied one" not in html
    assert client.get(reverse("reviews_manage:review_list")).status_code == 302
    client.force_login(support_user)
    assert client.get(reverse("reviews_manage:review_list")).status_code == 403
    assert (
        client.post(reverse("reviews_manage:reply", args=[replied.pk]), {"body": "x"}).status_code
        == 403
    )


def test_helpful_votes_once_per_person_and_rate_limited(client, settings):
    r = review(delivered_order().lines.first())
    url = reverse("reviews:helpful", args=[r.pk])
    assert client.post(url, HTTP_HX_REQUEST="true").status_code == 200
    again = client.post(url, HTTP_HX_REQUEST="true")
    # 200, not 409: htmx swaps no 4xx answer, and the repeat must be seen.
    assert again.status_code == 200 and "You already found this helpful" in again.content.decode()
    r.refresh_from_db()
    assert r.helpful_count == 1
    settings.HELPFUL_VOTES_PER_MINUTE = 3
    from django.test import Client

    for _ in range(5):
        response = Client().post(url, HTTP_HX_REQUEST="true")  # new person each time, same address
    assert response.status_code == 200 and "Too many votes" in response.content.decode()
    r.refresh_from_db()
    assert r.helpful_count == 2  # limit 3 per minute: 2 earlier posts from here + 1 new vote


def test_tracking_page_and_order_history_offer_the_review_link(client, customer):
    order = delivered_order()

    def review_link_order(page: str):
        # The link is signed with a timestamp: compare what it opens, not its text.
        tokens = re.findall(r'href="/reviews/write/([^/"]+)/"', page)
        assert len(tokens) == 1, tokens
        return services.order_for_token(tokens[0])

    assert review_link_order(client.get(order.get_absolute_url()).content.decode()) == order
    undelivered = place({VariantFactory(stock=2): 1})
    assert "Review your garments" not in client.get(undelivered.get_absolute_url()).content.decode()
    type(order).objects.filter(pk=order.pk).update(customer=customer)
    client.force_login(customer)
    assert review_link_order(client.get(reverse("orders:my_orders")).content.decode()) == order


def test_catalogue_sorts_by_bayesian_rank(client, shop_profile):
    one = ProductFactory(slug="one-perfect")
    many = ProductFactory(slug="many-good")
    review(delivered_order(VariantFactory(product=one, stock=2)).lines.get(), rating=5)
    for n in range(12):
        review(
            delivered_order(VariantFactory(product=many, size=f"S{n}", stock=2)).lines.get(),
            rating=5 if n % 5 else 4,
        )
    html = client.get(reverse("shop:product_list"), {"sort": "rating"}).content.decode()
    assert html.index("/products/many-good/") < html.index("/products/one-perfect/")
    assert "(12)" in html and "(1)" in html


def _product_with_reviews(n: int) -> str:
    """A new product with n published reviews; one order line per review, added directly."""
    from orders.models import OrderLine

    product = ProductFactory()
    variant = VariantFactory(product=product, stock=10_000)
    order = place({variant: n})
    order_services.mark_shipped(order, carrier="SF", tracking_number="1")
    order_services.mark_delivered(order)
    line = order.lines.get()
    lines = [line] + OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                variant=variant,
                product=product,
                product_name="x",
                size="M",
                colour="Navy",
                sku="x",
                unit_price=1,
                quantity=1,
                line_total=1,
            )
            for _ in range(n - 1)
        ]
    )
    for i, l_ in enumerate(lines):
        review(l_, rating=1 + i % 5, fit=["small", "true", "large"][i % 3])
    return product.get_absolute_url()


def test_product_page_query_count_is_the_same_for_5_and_500_reviews(
    client, shop_profile, pin_queries
):
    pin_queries(client, 8, _product_with_reviews, sizes=(5, 500))


# ----------------------------------------------------------------- the pages' cost, pinned
def test_review_page_query_count(client, shop_profile, pin_queries):
    def page(n):
        order = delivered_order(*(VariantFactory(stock=5) for _ in range(n + 1)))
        review(order.lines.first())  # one reviewed, n to review
        return reverse("reviews:write", args=[services.review_token(order)])

    pin_queries(client, 3, page)


def test_edit_page_query_count(client, shop_profile, pin_queries):
    def page(n):
        order = delivered_order()
        mine = review(order.lines.first())
        return reverse("reviews:edit", args=[services.review_token(order), mine.pk])

    pin_queries(client, 4, page)


def test_manage_review_list_query_count(owner_client, pin_queries):
    def page(n):
        for _ in range(n):
            order = delivered_order()
            first, second = order.lines.all()
            review(first)
            services.reply_to_review(review(second, rating=2), body="Sorry", acting_user=None)
        return reverse("reviews_manage:review_list")

    pin_queries(owner_client, 7, page)
    pin_queries(owner_client, 7, lambda n: page(n) + "?rating=2&replied=yes&status=published")


def test_reputation_query_count(owner_client, pin_queries):
    def page(n):
        for _ in range(n):
            review(delivered_order().lines.first())
        return reverse("reputation")

    pin_queries(owner_client, 16, page)


def test_size_filter_and_fit_by_size_follow_a_new_review(
    client, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    variants = {s: VariantFactory(product=product, size=s, stock=10) for s in ("M", "XL")}
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            review(delivered_order(variants["M"]).lines.get(), fit="small")
    page = client.get(product.get_absolute_url()).content.decode()
    assert '<option value="M"' in page and '<option value="XL"' not in page
    assert "Size M: 100% small" in page
    with django_capture_on_commit_callbacks(execute=True):
        review(delivered_order(variants["XL"]).lines.get(), fit="large")
    client.cookies.clear()
    page = client.get(product.get_absolute_url()).content.decode()
    assert '<option value="XL"' in page  # the cached size figures were not read again


def test_review_list_fragment_reads_only_the_reviews(client):
    product = ProductFactory()
    variant = VariantFactory(product=product, stock=50)
    for i in range(12):
        review(delivered_order(variant).lines.get(), rating=1 + i % 5)
    headers = {"HX-Request": "true", "HX-Target": "review-list"}
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(product.get_absolute_url(), {"sort": "lowest"}, headers=headers)
    assert response.status_code == 200 and "<html" not in response.content.decode()
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "shop_productimage" not in sql and "shop_variant" not in sql
    assert "COUNT(*)" not in sql  # the unfiltered list is counted by the summary
    assert response.content.decode().count('<li class="review card"') == 10  # a page of 12


@pytest.fixture(autouse=True)
def _days(settings):
    settings.REVIEW_LINK_DAYS = 180
    yield
