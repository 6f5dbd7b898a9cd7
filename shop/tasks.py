from celery import shared_task
from django.db import transaction
from django.utils import timezone

from .csv_io import apply_import, parse_import
from .models import ImportJob


@shared_task(acks_late=True)
def import_products(job_id: int) -> str:
    """Run a CSV import: check every row, then apply all of them or none.

    Safe to run twice: a finished job is left alone, and a job cut off mid-way starts again
    (the apply step is one transaction, so a cut leaves nothing half-applied).
    """
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        return "skipped"

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=done, total_rows=total)

    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.VALIDATING, processed_rows=0)
    try:
        with job.file.open("rb") as handle:
            text = handle.read().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED,
            errors=[{"line": 0, "reason": "The file could not be read as UTF-8 text."}],
            finished_at=timezone.now(),
        )
        return "failed"
    result = parse_import(text, progress=progress)
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
