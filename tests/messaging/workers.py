"""Real processes for fault tests: a redis-server of the test's own, and the Procfile's Celery
worker and beat on it, with production settings (tests/messaging/fault_settings.py) pointed
at the test database, that Redis and a mail server of the test's.

    with redis_server() as redis_url:
        processes = Processes(redis_url, EMAIL_PORT=str(smtp.port), MESSAGING_LEASE_SECONDS="3")
        processes.start_worker()
        ...
        processes.kill_worker()           # SIGKILL to the worker's every process at once
        processes.stop()

Tests that use them need PostgreSQL (the worker is another process) and redis-server.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection

from .smtp import unused_port

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))

# With pytest.mark.redis (the suite's marker for tests that start a redis-server of their own).
needs_redis_server = pytest.mark.skipif(
    not os.environ.get("REDIS_URL") or not shutil.which("redis-server"),
    reason="needs Redis: set REDIS_URL and install redis-server",
)


@contextlib.contextmanager
def redis_server():
    """A redis-server of this test's own, on a free port, gone afterwards: never the shared one."""
    port = unused_port()
    process = subprocess.Popen(  # noqa: S603 - redis-server from PATH, our arguments
        [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1"]
        + ["--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        app = Celery(broker=url, set_as_current=False)
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=50, interval_start=0.1, interval_step=0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def database_url() -> str:
    """The test database (pytest-django's), as the worker's DATABASE_URL."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Processes:
    """The worker (prefork, 2 processes, as the Procfile's) and beat, started and killed."""

    def __init__(self, redis_url: str, **env: str):
        self.redis_url = redis_url
        self.folder = Path(tempfile.mkdtemp(prefix="fault-processes-"))
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "CELERY_", "EMAIL_", "MESSAGING_", "FOLLOWUP_"))
        }
        # The test database, unless the test names another (a server of its own to restart).
        self.env["DATABASE_URL"] = env.pop("DATABASE_URL", None) or database_url()
        self.env.update(
            DJANGO_SETTINGS_MODULE="tests.messaging.fault_settings",
            SECRET_KEY="fault-test-" + "k" * 60,
            REDIS_URL=redis_url,
            CACHE_PREFIX=f"fault-{os.getpid()}",
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            # Production refuses the console provider by name; named by its class, on purpose:
            # nothing of a test leaves the machine.
            SMS_PROVIDER="messaging.sms.console.ConsoleSms",
            PYTHONPATH=str(ROOT),
            **env,
        )
        self.worker: subprocess.Popen | None = None
        self.beat: subprocess.Popen | None = None
        self.logs: list[Path] = []

    def _start(self, name: str, *arguments: str) -> subprocess.Popen:
        log = self.folder / f"{name}-{len(self.logs)}.log"
        self.logs.append(log)
        # A session of its own, so that one signal reaches the worker's every process.
        return subprocess.Popen(  # noqa: S603 - the celery beside this Python, our arguments
            [CELERY, "-A", "config", *arguments, "--loglevel=WARNING"],
            cwd=ROOT,
            env=self.env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_worker(self) -> None:
        self.worker = self._start(
            "worker", "worker", "--pool=prefork", "--concurrency=2", "--without-heartbeat",
            "--without-mingle", "--without-gossip",
        )  # fmt: skip

    def start_beat(self) -> None:
        self.beat = self._start("beat", "beat", "--schedule", str(self.folder / "beat-schedule"))

    def worker_pids(self) -> list[int]:
        """The worker's main process and its pool's processes: its session's (Linux /proc)."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # After the command in parentheses: state, parent, process group, session.
                session = int(stat.read_text().rsplit(")", 1)[1].split()[3])
            except (OSError, IndexError, ValueError):
                continue
            if session == self.worker.pid:
                pids.append(int(stat.parent.name))
        return pids

    def kill_worker(self) -> int:
        """SIGKILL to every process of the worker at once; returns how many there were."""
        pids = self.worker_pids()
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(timeout=10)
        self.worker = None
        return len(pids)

    def stop(self) -> None:
        """Beat first, so that nothing new starts; then the worker's warm shutdown (SIGTERM to
        its main process: it lets running tasks finish). Whatever is left after 30 s is killed."""
        for process in (self.beat, self.worker):
            if process and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    pass
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.worker = self.beat = None

    def output(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in self.logs)

    def run_python(self, code: str, timeout: float = 120) -> str:
        """Run `code` in a Python process with the worker's environment (its settings and
        database), after django.setup(); returns what it printed."""
        done = subprocess.run(  # noqa: S603 - this Python, our code
            [sys.executable, "-c", f"import django\ndjango.setup()\n{code}"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def send_task(self, name: str, *args) -> None:
        """Queue a task by name on this Redis, as the web processes and beat do."""
        app = Celery(broker=self.redis_url, set_as_current=False)
        app.send_task(name, args=args)


def wait_for(condition, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False
