import logging
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from config.celery import RETRY_ON_DATABASE_ERRORS, publish

from .csv_io import UnreadableFile, apply_import, decode, parse_import
from .models import ImportJob, ProductImage

logger = logging.getLogger(__name__)

# File-level reasons (line 0), stored untranslated and translated when the owner reads them.
UNREADABLE = gettext_noop("The file could not be read.")
TOO_SLOW = gettext_noop(
    "The import took longer than it may, so nothing was imported. Split the file and try again."
)
UNEXPECTED = gettext_noop(
    "The import stopped on an unexpected error, so nothing was imported. The error is logged "
    "for the developers; check the file, or try again later."
)


# A job still waiting this long after its upload lost its task (the broker was down when the
# upload committed): the sweep queues it again.
SWEEP_GRACE = timedelta(minutes=2)


@shared_task(acks_late=True)
def import_products(job_id: int, swept: bool = False, language: str = "") -> str:
    """Run a CSV import: check every row, then apply all of them or none.

    Safe to run twice: a finished job is left alone, a waiting job is taken by one task only
    (a conditional update), and a job cut off mid-way starts again (the apply step is one
    transaction, so a cut leaves nothing half-applied). The sweep's copy (`swept`) only takes
    a waiting job. Whatever goes wrong, the job ends failed with a reason the owner reads,
    never "applying" for ever. Row reasons are written in `language`, the uploader's (the
    shop's own when the sweep queued the job again).
    """
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        return _import(job_id, swept)


def _import(job_id: int, swept: bool) -> str:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        return "skipped"
    if job.status == ImportJob.Status.PENDING or swept:
        taken = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PENDING).update(
            status=ImportJob.Status.VALIDATING
        )
        if not taken:
            return "skipped"  # another task took it first
    try:
        return _run(job)
    except SoftTimeLimitExceeded:
        logger.warning("Import %s ran past its time limit", job.pk)
        _fail(job, TOO_SLOW)
    except Exception:
        # Anything the checks did not foresee (a race on a SKU, the database going away): the
        # apply step rolled back, so the job is failed and its owner told.
        logger.exception("Import %s failed", job.pk)
        _fail(job, UNEXPECTED)
    return "failed"


@shared_task
def sweep_imports() -> int:
    """Periodic (beat, every minute): queue again the imports whose task was lost."""
    waiting = ImportJob.objects.filter(
        status=ImportJob.Status.PENDING, created_at__lte=timezone.now() - SWEEP_GRACE
    ).values_list("pk", flat=True)
    return sum(publish(import_products, pk, swept=True) for pk in waiting)


def _fail(job: ImportJob, reason: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED,
        errors=[{"line": 0, "reason": reason}],
        finished_at=timezone.now(),
    )


def _run(job: ImportJob) -> str:
    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=done, total_rows=total)

    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.VALIDATING, processed_rows=0)
    try:
        with job.file.open("rb") as handle:
            data = handle.read()
    except OSError:
        _fail(job, UNREADABLE)
        return "failed"
    try:
        # UTF-8, GBK/GB18030 or UTF-16, found without asking the owner (csv_io.decode).
        text, encoding = decode(data)
    except UnreadableFile as bad:
        # Where the bytes stop being text, in the uploader's language (like the row reasons).
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED,
            errors=[{"line": bad.line, "reason": bad.reason}],
            finished_at=timezone.now(),
        )
        return "failed"
    result = parse_import(text, progress=progress)
    ImportJob.objects.filter(pk=job.pk).update(encoding=encoding, delimiter=result.delimiter)
    if result.errors:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED,
            errors=result.errors,
            total_rows=result.total_rows,
            finished_at=timezone.now(),
        )
        return "failed"
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.APPLYING)
    with transaction.atomic():
        created, updated = apply_import(result.products)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.DONE,
            created_products=created,
            updated_products=updated,
            processed_rows=result.total_rows,
            finished_at=timezone.now(),
        )
    return "done"


# What a store that is restarting or briefly unreachable raises through boto3 or the disk.
try:
    from botocore.exceptions import BotoCoreError, ClientError

    STORAGE_ERRORS: tuple = (OSError, BotoCoreError, ClientError)
except ImportError:  # pragma: no cover
    STORAGE_ERRORS = (OSError,)


@shared_task(
    acks_late=True,
    **{
        **RETRY_ON_DATABASE_ERRORS,
        "autoretry_for": RETRY_ON_DATABASE_ERRORS["autoretry_for"] + STORAGE_ERRORS,
    },
)
def make_product_renditions(image_id: int) -> bool:
    """Make one product photo's WebP renditions (services.make_image_renditions).

    Thin and safe to run twice (the second run finds them made); retried on database and
    storage errors; the sweep queues again a photo whose task was lost.
    """
    from .services import make_image_renditions

    return make_image_renditions(image_id)


@shared_task
def sweep_renditions() -> int:
    """Periodic (beat, every minute): queue again the product photos still without renditions
    SWEEP_GRACE after their upload (the broker was down, or the task failed for good)."""
    waiting = ProductImage.objects.filter(
        small="", created_at__lte=timezone.now() - SWEEP_GRACE
    ).values_list("pk", flat=True)[:500]
    return sum(publish(make_product_renditions, pk) for pk in waiting)
