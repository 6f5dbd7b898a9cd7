"""Verified reviews: links, publishing, editing, hiding for policy reasons, replies, votes.

Every change to a published review moves the product's figures in the same transaction.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import Order, OrderLine
from shop.cache import bump_catalogue_version
from shop.images import CleanImage, store_image_files
from shop.storage import private_storage

from . import summary
from .models import HelpfulVote, HideReason, ModerationLog, Review, ReviewPhoto, ReviewReply

LINK_SALT = "reviews.request"
MAX_PHOTOS = 4


class ReviewError(Exception):
    """A review change that is refused; the message is for a person."""


class InvalidReviewLink(ReviewError):
    pass


class AlreadyReviewed(ReviewError):
    pass


class AlreadyVoted(ReviewError):
    """A second "helpful" from the same person: nothing changed, and the person is told so."""


@dataclass(frozen=True)
class ReviewInput:
    rating: int
    fit: str
    title: str
    body: str
    display_name: str
    height_cm: int | None = None
    usual_size: str = ""


# ------------------------------------------------------------------------- links
def review_token(order: Order) -> str:
    """A signed capability for reviewing `order`'s lines; checked for age on use."""
    return signing.dumps(
        {"o": order.pk, "k": order.tracking_token[:12]}, salt=LINK_SALT, compress=True
    )


def review_url(order: Order, *, absolute: bool = False) -> str:
    path = reverse("reviews:write", args=[review_token(order)])
    return settings.SITE_URL.rstrip("/") + path if absolute else path


def order_for_token(token: str) -> Order:
    """The delivered order a review link names. Raises InvalidReviewLink with the reason."""
    try:
        data = signing.loads(
            token, salt=LINK_SALT, max_age=timedelta(days=settings.REVIEW_LINK_DAYS)
        )
    except signing.SignatureExpired:
        raise InvalidReviewLink(
            _("This review link has expired (links last %(n)s days).")
            % {"n": settings.REVIEW_LINK_DAYS}
        )
    except signing.BadSignature:
        raise InvalidReviewLink(_("This review link is not valid. Use the link from your email."))
    order = Order.objects.filter(pk=data.get("o")).first()
    if order is None or not order.tracking_token.startswith(str(data.get("k", "-"))):
        raise InvalidReviewLink(_("This review link is not valid. Use the link from your email."))
    if order.status != Order.Status.DELIVERED:
        raise InvalidReviewLink(_("You can review your garments once the order is delivered."))
    return order


# Han characters (the CJK ideographs, their extension A, compatibility ideographs and the
# supplementary planes' extensions): a name written with them is a Chinese (or Japanese) name.
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def default_display_name(full_name: str) -> str:
    """The name a review is shown under unless the buyer writes another.

    A Chinese name is the surname and two asterisks, whatever its length: "李伟" and "李小龙"
    -> "李**"; a compound surname shows its first character ("欧阳娜娜" -> "欧**"), so neither
    the given name nor the name's length shows. Other names are first name and last initial:
    "Mei Chen" -> "Mei C.".
    """
    han = HAN.search(full_name or "")
    if han:
        return f"{han.group()}**"
    parts = full_name.split()
    if not parts:
        return _("Verified buyer")
    return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][0]}."


# ------------------------------------------------------------------------- photo files
PHOTO_FIELDS = ("original", "small", "large")


def _move_photo_files(photos: Iterable[ReviewPhoto], *, to_private: bool) -> None:
    """Move every file of `photos` (master and each rendition) between public and private
    storage, updating the rows' names.

    Copies are written now and the sources deleted after the commit, so a rollback leaves the
    files where the rows say they are (at worst an unused copy stays behind).
    """
    public, private = ReviewPhoto._meta.get_field("original").storage, private_storage()
    source, target = (public, private) if to_private else (private, public)
    moved = []
    for photo in photos:
        for field in PHOTO_FIELDS:
            name = getattr(photo, field).name
            if not name or not source.exists(name):
                continue  # already moved by an earlier run, or lost: nothing left to serve
            with source.open(name, "rb") as handle:
                getattr(photo, field).name = target.save(name, handle)
            moved.append(name)
        photo.save(update_fields=list(PHOTO_FIELDS))

    def delete_sources() -> None:
        for name in moved:
            source.delete(name)

    transaction.on_commit(delete_sources, robust=True)


# ------------------------------------------------------------------------- writing
def _add_photos(review: Review, photos: Iterable[CleanImage]) -> None:
    start = review.photos.count()
    added = []
    for offset, image in enumerate(photos):
        photo = ReviewPhoto(review=review, position=start + offset)
        store_image_files(photo, image)
        photo.save()
        added.append(photo)
    if added and review.photos_withdrawn:
        # A photo added to a review hidden for personal data joins the others, out of view.
        _move_photo_files(added, to_private=True)


@transaction.atomic
def publish_review(
    line: OrderLine, data: ReviewInput, *, photos: Iterable[CleanImage] = ()
) -> Review:
    """Publish the review of one line of a delivered order, with up to four photos.

    Raises ReviewError if the order is not delivered, AlreadyReviewed for a second review of
    the line. The product's figures move in this same transaction.
    """
    photos = list(photos)
    line = OrderLine.objects.select_related("order").select_for_update(of=("self",)).get(pk=line.pk)
    if line.order.status != Order.Status.DELIVERED:
        raise ReviewError(_("Only a delivered order can be reviewed."))
    if line.product_id is None:
        raise ReviewError(_("This garment is no longer in the shop."))
    if Review.objects.filter(order_line=line).exists():
        raise AlreadyReviewed(_("You already reviewed %(item)s.") % {"item": line.product_name})
    if len(photos) > MAX_PHOTOS:
        raise ReviewError(_("At most %(n)s photos.") % {"n": MAX_PHOTOS})
    try:
        with transaction.atomic():
            review = Review.objects.create(
                order_line=line,
                product_id=line.product_id,
                size_bought=line.size,
                colour_bought=line.colour,
                photo_count=len(photos),
                **data.__dict__,
            )
    except IntegrityError:
        raise AlreadyReviewed(_("You already reviewed %(item)s.") % {"item": line.product_name})
    _add_photos(review, photos)
    summary.apply_delta(review.product_id, rating=review.rating, fit=review.fit)
    return review


@transaction.atomic
def publish_reviews(
    reviews: Iterable[tuple[OrderLine, ReviewInput, Iterable[CleanImage]]],
) -> list[Review]:
    """Publish the reviews of several lines (the review page's form): all of them or none.

    Raises what publish_review raises for the first line it refuses; then none is published.
    """
    return [publish_review(line, data, photos=photos) for line, data, photos in reviews]


def can_edit(review: Review, now=None) -> bool:
    return (now or timezone.now()) <= review.created_at + timedelta(days=settings.REVIEW_EDIT_DAYS)


@transaction.atomic
def edit_review(review: Review, data: ReviewInput, *, photos: Iterable[CleanImage] = ()) -> Review:
    """Change a review within REVIEW_EDIT_DAYS of writing it; it is then marked edited."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    if not can_edit(review):
        raise ReviewError(
            _("Reviews can be changed for %(n)s days after writing.")
            % {"n": settings.REVIEW_EDIT_DAYS}
        )
    photos = list(photos)
    if review.photo_count + len(photos) > MAX_PHOTOS:
        raise ReviewError(_("At most %(n)s photos.") % {"n": MAX_PHOTOS})
    if review.is_published:
        summary.apply_delta(review.product_id, rating=review.rating, fit=review.fit, sign=-1)
    for field, value in data.__dict__.items():
        setattr(review, field, value)
    review.edited_at = timezone.now()
    review.photo_count += len(photos)
    review.save()
    _add_photos(review, photos)
    if review.is_published:
        summary.apply_delta(review.product_id, rating=review.rating, fit=review.fit)
    return review


# ------------------------------------------------------------------------- the shop's side
@transaction.atomic
def hide_review(review: Review, *, reason: str, acting_user, note: str = "") -> Review:
    """Hide a review for one of the listed policy reasons, logged with who and why.

    Hidden for personal data, its photos (every rendition) leave public storage for the
    private one, so their addresses answer 404; unhiding brings them back. Raises ReviewError
    for any other reason (a low rating is never a reason) or if hidden already.
    """
    if reason not in HideReason.values:
        raise ReviewError(_("Choose one of the policy reasons."))
    review = Review.objects.select_for_update().get(pk=review.pk)
    if not review.is_published:
        raise ReviewError(_("This review is already hidden."))
    review.status = Review.Status.HIDDEN
    review.hidden_reason = reason
    review.save(update_fields=["status", "hidden_reason"])
    if review.photos_withdrawn:
        _move_photo_files(review.photos.all(), to_private=True)
    summary.apply_delta(review.product_id, rating=review.rating, fit=review.fit, sign=-1, hidden=1)
    ModerationLog.objects.create(
        review=review, action=ModerationLog.Action.HIDE, reason=reason, note=note, actor=acting_user
    )
    return review


@transaction.atomic
def unhide_review(review: Review, *, acting_user) -> Review:
    """Publish a hidden review again, logged, with its photos back in public storage."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.is_published:
        raise ReviewError(_("This review is already shown."))
    if review.photos_withdrawn:
        _move_photo_files(review.photos.all(), to_private=False)
    review.status = Review.Status.PUBLISHED
    review.hidden_reason = ""
    review.save(update_fields=["status", "hidden_reason"])
    summary.apply_delta(review.product_id, rating=review.rating, fit=review.fit, hidden=-1)
    ModerationLog.objects.create(
        review=review, action=ModerationLog.Action.UNHIDE, actor=acting_user
    )
    return review


@transaction.atomic
def reply_to_review(review: Review, *, body: str, acting_user) -> ReviewReply:
    """Write or change the shop's one public reply."""
    body = body.strip()
    if not body:
        raise ReviewError(_("Write a reply first."))
    reply, _created = ReviewReply.objects.update_or_create(
        review=review, defaults={"body": body, "author": acting_user}
    )
    transaction.on_commit(bump_catalogue_version, robust=True)
    return reply


@transaction.atomic
def vote_helpful(review: Review, *, voter: str) -> int:
    """Count one "helpful" per person; returns the new count.

    Raises AlreadyVoted for a second vote by `voter` (the count does not move).
    """
    try:
        with transaction.atomic():
            HelpfulVote.objects.create(review=review, voter=voter)
    except IntegrityError:
        raise AlreadyVoted(_("You already found this helpful."))
    Review.objects.filter(pk=review.pk).update(helpful_count=F("helpful_count") + 1)
    transaction.on_commit(bump_catalogue_version, robust=True)
    return Review.objects.values_list("helpful_count", flat=True).get(pk=review.pk)
