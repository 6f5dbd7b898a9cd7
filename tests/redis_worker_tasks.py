"""A task for tests/test_redis_down.py's real worker: it takes its time, then leaves a mark."""

import time
from pathlib import Path

from celery import shared_task


@shared_task(name="tests.write_after")
def write_after(path: str, seconds: float) -> None:
    Path(f"{path}.started").touch()
    time.sleep(seconds)
    Path(path).touch()
