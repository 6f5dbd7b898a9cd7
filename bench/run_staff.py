"""Staff pages at 50,000 tickets and 300,000 messages, signed in, against a static ceiling.

    .venv/bin/python bench/run_staff.py [--workers 2 4] [--duration 20s] [--skip-seed]

The method of issue 18: gunicorn `config.wsgi` on production settings (DEBUG off), N sync
workers, PostgreSQL, Redis cache; `wrk -t2 -c8 -d20s` from a separate process with a signed-in
Support (or Owner) session cookie; the ceiling is a static file of the inbox page's size served
by whitenoise through the same gunicorn, measured at the start and the end of the same run
(the higher is the ceiling). Pages: the inbox (default view), a search by a customer's email,
inbox page 300 (by its cursor link), a ticket page with 20 messages, the staff dashboard
(/manage/) and the owner's reputation page (/manage/reputation/).

During each wrk run the script records the load average and the CPU ticks spent by programs
other than gunicorn, this database's PostgreSQL backends, Redis and wrk (*CPU taken by other
work*: the machine is shared).

Environment: BENCH_DATABASE (default shop_bench_support), BENCH_REDIS_URL (default
redis://127.0.0.1:6379/5, flushed), BENCH_PORT (8765). The seed (unless --skip-seed): the
database recreated, 200 products (bench/seed_catalogue.py) and bench/seed_tickets.py.
Report: bench/reports/staff-<UTC date>-<time>.{json,md}.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
PY = str(ROOT / ".venv" / "bin" / "python")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
DATABASE = os.environ.get("BENCH_DATABASE", "shop_bench_support")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
TARGET_SHARE = 0.10
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def environment() -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=env.get("BENCH_SECRET_KEY") or "bench-staff-" + "x" * 50,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        SERVE_MEDIA="1",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        REDIS_URL=REDIS_URL,
        VAR_DIR=str(BENCH / "var"),
        LOG_LEVEL="WARNING",
        # Production refuses the console SMS by its short name; nothing is sent in a bench.
        SMS_PROVIDER="messaging.sms.console.ConsoleSms",
        # No beat runs here: /healthz (the readiness probe) must not wait for a dispatcher.
        HEALTHZ_DISPATCHER_MINUTES="1000000",
        PYTHONPATH=str(ROOT),
    )
    return env


def run(args: list[str], **kw) -> subprocess.CompletedProcess:
    print("   $", " ".join(args), flush=True)
    return subprocess.run(args, check=True, cwd=ROOT, **kw)


def psql(sql: str, database: str = "postgres") -> str:
    return subprocess.run(
        ["psql", "-tAq", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


# --------------------------------------------------------------------- CPU of other work
def _ticks(pid: str) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def own_pids(server_pid: int) -> list[str]:
    """gunicorn (master and workers), this database's PostgreSQL backends, Redis, wrk."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        cmd = _cmdline(entry.name)
        try:
            ppid = int(Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if (
            int(entry.name) == server_pid
            or ppid == server_pid
            or cmd.startswith("wrk ")
            or "redis-server" in cmd
            or (cmd.startswith("postgres:") and f" {DATABASE} " in cmd)
        ):
            pids.append(entry.name)
    return pids


def machine_ticks() -> tuple[int, int]:
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
    return sum(values) - values[3] - values[4], sum(values)  # busy, total


class OtherWork:
    """CPU share taken by programs outside the measured stack while a block runs."""

    def __init__(self, server_pid: int):
        self.server_pid = server_pid

    def __enter__(self):
        self.load_before = Path("/proc/loadavg").read_text().split()[:3]
        self.busy0, self.total0 = machine_ticks()
        self.own0 = {pid: _ticks(pid) for pid in own_pids(self.server_pid)}
        return self

    def __exit__(self, *exc):
        busy1, total1 = machine_ticks()
        own = own_pids(self.server_pid)  # wrk's ticks: counted while it runs (see measure)
        own_delta = sum(_ticks(pid) - self.own0.get(pid, 0) for pid in own) + getattr(
            self, "wrk_ticks", 0
        )
        total = max(1, total1 - self.total0)
        # The server side's own CPU (gunicorn, PostgreSQL, Redis; not wrk), in ms: divided by
        # the requests served it is a cost per request that other work on the machine
        # changes far less than it changes requests per second.
        self.stack_ms = (own_delta - getattr(self, "wrk_ticks", 0)) * 1000 / CLOCK_TICKS
        self.others_percent = max(0, round(100 * (busy1 - self.busy0 - own_delta) / total))
        self.busy_percent = round(100 * (busy1 - self.busy0) / total)
        self.load_after = Path("/proc/loadavg").read_text().split()[:3]
        self.top_others = top_processes(exclude=set(own))


def top_processes(exclude: set[str], n: int = 6) -> list[str]:
    """The busiest other processes right now (ps's %CPU is over their lifetime: a hint)."""
    out = subprocess.run(
        ["ps", "-eo", "pid,pcpu,comm", "--sort=-pcpu", "--no-headers"],
        capture_output=True,
        text=True,
    ).stdout
    rows = []
    for line in out.splitlines():
        pid, pcpu, comm = line.split(None, 2)
        if pid not in exclude and float(pcpu) >= 1.0:
            rows.append(f"{comm.strip()} {pcpu}%")
        if len(rows) >= n:
            break
    return rows


def wrk(url: str, duration: str, cookie: str, connections: int = 8) -> dict:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{duration}", "--timeout", "10s"]
    args += ["-s", str(BENCH / "wrk_report.lua")]
    if cookie:
        args += ["-H", f"Cookie: {cookie}"]
    proc = subprocess.Popen(args + [url], stdout=subprocess.PIPE, text=True)
    out, _ = proc.communicate()
    line = next(x for x in out.splitlines() if x.startswith("BENCH_JSON "))
    result = json.loads(line.removeprefix("BENCH_JSON "))
    result["non_2xx"] = result["errors"]["status"]
    return result


def measure(server_pid: int, url: str, duration: str, cookie: str) -> dict:
    wrk(url, "3s", cookie)  # warm-up
    before = os.times()
    with OtherWork(server_pid) as other:
        result = wrk(url, duration, cookie)
        after = os.times()
        other.wrk_ticks = round(
            100
            * (
                (after.children_user + after.children_system)
                - (before.children_user + before.children_system)
            )
        )
    result.update(
        others_percent=other.others_percent,
        machine_busy_percent=other.busy_percent,
        server_cpu_ms_per_request=round(other.stack_ms / max(1, result["requests"]), 2),
        load_before=other.load_before,
        load_after=other.load_after,
        top_others=other.top_others,
    )
    return result


class Server:
    def __init__(self, env: dict, log: Path, workers: int):
        self.env, self.log, self.workers, self.process = env, log, workers, None

    def __enter__(self):
        import urllib.request

        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "config.wsgi",
                "--chdir",
                str(ROOT),
                "--bind",
                f"127.0.0.1:{PORT}",
                "--workers",
                str(self.workers),
                "--worker-class",
                "sync",
                "--log-level",
                "warning",
                "--no-control-socket",
            ],
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
        )
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{BASE}/healthz", timeout=2)  # noqa: S310
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise SystemExit(self.log.read_text()) from None
                time.sleep(0.2)
        raise SystemExit("gunicorn did not answer in 20 s")

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a loaded machine: do not lose the run's report
            self.process.kill()
            self.process.wait()


# --------------------------------------------------------------------- in process
def pages_and_cookies(sample: dict) -> tuple[list, dict]:
    """(name, label, path, who) per page, and the cookie header for each kind of staff."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from accounts.models import OWNER
    from support.models import Ticket

    user_model = get_user_model()
    support = user_model.objects.get(email=sample["login"]["email"])
    owner, _ = user_model.objects.get_or_create(email="owner-bench@example.com")
    owner.groups.add(Group.objects.get_or_create(name=OWNER)[0])
    cookies = {}
    for who, user in (("support", support), ("owner", owner)):
        client = Client()
        client.force_login(user)
        cookies[who] = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
    inbox = reverse("support_manage:ticket_list")
    # A ticket with 20 messages (the seed's longest threads) and an order, shown to staff.
    ticket = (
        Ticket.objects.filter(order__isnull=False)
        .annotate(n=Count("messages"))
        .filter(n=20)
        .order_by("-id")
        .first()
    )
    email = sample["search"][1].split("q=", 1)[1]
    pages = [
        ("inbox", "Inbox, default view", inbox, "support"),
        (
            "inbox_search",
            "Inbox, search by a customer's email",
            f"{inbox}?view=all&q={email}",
            "support",
        ),
        (
            "inbox_page_300",
            "Inbox, all tickets, page 300",
            deep_page_path(inbox, cookies),
            "support",
        ),
        ("ticket", "Ticket page, 20 messages", ticket.get_manage_url(), "support"),
        ("dashboard", "Staff dashboard", reverse("shop_manage:dashboard"), "owner"),
        ("reputation", "Owner's reputation page", reverse("reputation"), "owner"),
    ]
    return pages, cookies


def deep_page_path(inbox: str, cookies: dict) -> str:
    """Page 300 of the "all" view as staff reach it: the "older" link of page 299, i.e. the
    cursor of its last row (found here with OFFSET: the bench may, the app does not). Before
    keyset pagination the inbox took ?page=300 (an OFFSET of 14,950 rows)."""
    from support.models import Ticket
    from support.selectors import encode_cursor

    try:
        from support.selectors import inbox_page  # noqa: F401
    except ImportError:
        return f"{inbox}?view=all&page=300"
    last_of_299 = Ticket.objects.order_by("-updated_at", "-id")[299 * 50 - 1]
    return f"{inbox}?view=all&after={encode_cursor(last_of_299)}"


def count_queries(pages: list, cookies: dict) -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.profile_staff import bump_all

    results = {}
    for name, _label, path, who in pages:
        client = Client(HTTP_HOST="127.0.0.1")
        key, value = cookies[who].split("=", 1)
        client.cookies[key] = value
        counts, body, seconds, cpu = [], b"", [], []
        # cold: an empty cache; warm: the same request again (the staff page cache's hit);
        # miss: right after a ticket, an order and a review changed (their versions bumped).
        for attempt in ("cold", "warm", "miss"):
            if attempt == "cold":
                cache.clear()
            if attempt == "miss":
                bump_all()
            with CaptureQueriesContext(connection) as captured:
                start, start_cpu = time.perf_counter(), time.process_time()
                response = client.get(path)
                seconds.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
            counts.append(len(captured))
            body = body or response.content
            if attempt == "cold":
                sql = " ".join(q["sql"] for q in captured.captured_queries)
        results[name] = {
            "cold_queries": counts[0],
            "warm_queries": counts[1],
            "miss_queries": counts[2],
            "bytes": len(body),
            "in_process_warm_ms": round(1000 * seconds[1], 1),
            "in_process_warm_cpu_ms": round(1000 * cpu[1], 1),
            "in_process_miss_cpu_ms": round(1000 * cpu[2], 1),
            "offset_in_sql": " OFFSET " in sql,
        }
        print(
            f"   {name:16} cold {counts[0]:2}, warm {counts[1]:2}, miss {counts[2]:2} queries, "
            f"{len(body)} bytes, CPU {1000 * cpu[1]:.0f} ms warm, {1000 * cpu[2]:.0f} ms on a "
            "miss in process"
        )
        if name == "inbox":
            results[name]["html"] = body
    cache.clear()
    return results


# --------------------------------------------------------------------- report
def markdown(report: dict) -> str:
    from bench.report import machine  # noqa: F401  (keeps the import list in one place)

    m = report["machine"]
    lines = [
        f"Run {report['started']}, commit `{report['commit']}`; figures in "
        f"`bench/reports/{report['name']}.json`.",
        "",
        f"- **Machine:** {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB; PostgreSQL "
        f"{m['postgresql']}, Redis {m['redis']}, Python {m['python']}, Django {m['django']}, "
        f"gunicorn {m['gunicorn']}, {m['wrk']}. wrk, gunicorn, PostgreSQL and Redis share "
        "these CPUs with the other work on the machine (its share is in the table).",
        f"- **Data:** {report['data']}",
        "- **Server:** gunicorn `config.wsgi`, production settings (DEBUG off), sync workers, "
        "cache in Redis, PostgreSQL through the psycopg pool.",
        f"- **Load:** `wrk -t2 -c8 -d{report['duration']}` after a 3 s warm-up, with a "
        "signed-in session cookie (Support for the inbox and ticket, Owner for the "
        "dashboards). The ceiling: a static file of the inbox page's size "
        f"({report['ceiling_bytes']} bytes) through the same gunicorn, at the start and the "
        "end of each server's run; the higher one counts.",
        "",
    ]
    for run_ in report["runs"]:
        ceiling = run_["ceiling_rps"]
        lines += [
            f"**{run_['workers']} sync workers**: ceiling **{ceiling:.0f} req/s** "
            f"(start {run_['ceiling_start']['rps']:.0f}, end {run_['ceiling_end']['rps']:.0f}).",
            "",
            "| Page | req/s | share of ceiling | server CPU per request (ceiling's) | share by "
            "CPU | p50 / p95 | queries cold / warm / miss | CPU in process, warm / miss | CPU "
            "taken by other work | load average "
            "before -> after | target (10%) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        ceiling_cpu = min(
            run_["ceiling_start"]["server_cpu_ms_per_request"],
            run_["ceiling_end"]["server_cpu_ms_per_request"],
        )
        for page in run_["pages"]:
            share = page["rps"] / ceiling if ceiling else 0
            cpu = page["server_cpu_ms_per_request"]
            lines.append(
                f"| {page['label']} `{page['path']}` | {page['rps']:.0f} | {100 * share:.1f}% | "
                f"{cpu:.1f} ms ({ceiling_cpu:.2f} ms) | {100 * ceiling_cpu / max(cpu, 0.01):.1f}% | "
                f"{page['p50_ms']:.1f} / {page['p95_ms']:.1f} ms | "
                f"{page['cold_queries']} / {page['warm_queries']} / {page.get('miss_queries', '-')} | "
                f"{page.get('in_process_warm_cpu_ms', '-')} / "
                f"{page.get('in_process_miss_cpu_ms', '-')} ms | {page['others_percent']}% | "
                f"{' '.join(page['load_before'])} -> {' '.join(page['load_after'])} | "
                f"{'yes' if share >= TARGET_SHARE else 'no'} |"
            )
        lines.append("")
    lines += [
        "*CPU taken by other work*: the share of the machine's CPU time during that wrk run "
        "spent by programs other than this gunicorn, this database's PostgreSQL backends, "
        "Redis and wrk. *Server CPU per request*: the CPU time of gunicorn, this database's "
        "PostgreSQL backends and Redis during the run divided by the requests answered; "
        "*share by CPU* is the ceiling's CPU per request over the page's, i.e. the share of "
        "the ceiling the page would reach on a machine with no other work (the CPU-bound "
        "estimate; the measured share is the column before). *Warm / miss*: one request in "
        "process repeated (a hit of the staff page cache) and right after a ticket, an order and "
        "a review changed (the page rendered again; bench/profile_staff.py averages many). "
        "Busiest other processes seen: "
        + "; ".join(report["runs"][-1]["pages"][-1]["top_others"] or ["none"])
        + ".",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument("--duration", default="20s")
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--only", nargs="*", help="page names to measure (all by default)")
    parser.add_argument("--tag", default="", help="added to the report's name")
    args = parser.parse_args()
    env = environment()
    os.environ.update(env)
    started = datetime.now(UTC)
    name = f"staff-{started:%Y-%m-%d-%H%M}{'-' + args.tag if args.tag else ''}"
    run_dir = BENCH / "var" / f"run-{name}"
    run_dir.mkdir(parents=True, exist_ok=True)
    sample_file = BENCH / "var" / f"staff-sample-{DATABASE}.json"
    if not args.skip_seed:
        psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        psql(f"CREATE DATABASE {DATABASE}")
        run([PY, "manage.py", "migrate", "-v0"])
        run([PY, "bench/seed_catalogue.py", "--products", "200"])
    if not args.skip_seed or not sample_file.exists():
        out = run(
            [PY, "bench/seed_tickets.py", "--sample-only" if args.skip_seed else "--print-sample"],
            capture_output=True,
            text=True,
        ).stdout
        sample_file.write_text(next(x for x in reversed(out.splitlines()) if x.startswith("{")))
    sample = json.loads(sample_file.read_text())
    run([PY, "manage.py", "migrate", "-v0"])
    run([PY, "manage.py", "collectstatic", "--noinput", "-v0"])

    import django

    django.setup()
    from django.core.cache import cache

    from bench.report import command_output, machine
    from support.models import Ticket, TicketMessage

    pages, cookies = pages_and_cookies(sample)
    if args.only:
        pages = [p for p in pages if p[0] in args.only or p[0] == "inbox"]
    print("== queries per page (cold, then warm)")
    counts = count_queries(pages, cookies)
    ceiling_file = BENCH / "var" / "static" / "bench" / "staff-ceiling.html"
    ceiling_file.parent.mkdir(parents=True, exist_ok=True)
    ceiling_file.write_bytes(counts["inbox"].pop("html"))
    run([PY, "manage.py", "collectstatic", "--noinput", "-v0"])

    report = {
        "name": name,
        "started": started.isoformat(timespec="seconds"),
        "commit": command_output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
        "dirty": bool(command_output(["git", "-C", str(ROOT), "status", "--porcelain", "-uno"])),
        "machine": machine(),
        "data": f"{Ticket.objects.count()} tickets, {TicketMessage.objects.count()} messages "
        "(bench/seed_tickets.py).",
        "duration": args.duration,
        "ceiling_bytes": ceiling_file.stat().st_size,
        "queries": counts,
        "runs": [],
    }
    for workers in args.workers:
        cache.clear()
        with Server(env, run_dir / "gunicorn.log", workers) as server:
            pid = server.process.pid
            static = f"{BASE}/static/bench/staff-ceiling.html"
            print(f"== {workers} workers: ceiling")
            start = measure(pid, static, args.duration, "")
            run_ = {"workers": workers, "ceiling_start": start, "pages": []}
            for page_name, label, path, who in pages:
                result = measure(pid, BASE + path, args.duration, cookies[who])
                print(
                    f"   {page_name:16} {result['rps']:.0f} req/s, p95 {result['p95_ms']:.1f} ms,"
                    f" others {result['others_percent']}%, non-2xx {result['non_2xx']}"
                )
                run_["pages"].append(
                    {"name": page_name, "label": label, "path": path, "who": who}
                    | counts[page_name]
                    | result
                )
            run_["ceiling_end"] = measure(pid, static, args.duration, "")
            run_["ceiling_rps"] = max(run_["ceiling_start"]["rps"], run_["ceiling_end"]["rps"])
            print(
                f"   ceiling {run_['ceiling_start']['rps']:.0f} / {run_['ceiling_end']['rps']:.0f}"
            )
            report["runs"].append(run_)
        write(report)  # after each server's run, so that an interrupted run keeps its part
    text = write(report)
    print(text)


def write(report: dict) -> str:
    reports = BENCH / "reports"
    name = report["name"]
    (reports / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    (reports / f"{name}.md").write_text(
        "# Staff pages at 50,000 tickets and 300,000 messages (issue 18)\n\n" + text
    )
    return text


if __name__ == "__main__":
    main()
