"""CPU taken by other work during a checkout run (the machine is shared).

    others.py start STATE SERVER_PID WORKER_PID
    others.py stop STATE OUT.json SERVER_PID WORKER_PID

Counts, between start and stop, the machine's busy CPU ticks and those of the measured stack:
gunicorn (the master and its workers), the Celery worker and its children, this database's
PostgreSQL backends (BENCH_DATABASE), Redis and the buyers' process. What is left is other
work; OUT.json gets it as a share of the machine's CPU time, with the load averages.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench.run_staff import _cmdline, _ticks, machine_ticks, top_processes  # noqa: E402


def stack(server_pid: int, worker_pid: int) -> list[str]:
    import os

    database = os.environ.get("BENCH_DATABASE", "shop_bench")
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int(Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        cmd = _cmdline(entry.name)
        if (
            int(entry.name) in (server_pid, worker_pid)
            or ppid in (server_pid, worker_pid)
            or "bench/checkout/buyers.py" in cmd
            or "redis-server" in cmd
            or (cmd.startswith("postgres:") and f" {database} " in cmd)
        ):
            pids.append(entry.name)
    return pids


def main() -> None:
    action, state = sys.argv[1], Path(sys.argv[2])
    server_pid, worker_pid = int(sys.argv[-2]), int(sys.argv[-1])
    load = Path("/proc/loadavg").read_text().split()[:3]
    busy, total = machine_ticks()
    pids = stack(server_pid, worker_pid)
    if action == "start":
        own = {pid: _ticks(pid) for pid in pids}
        state.write_text(json.dumps({"busy": busy, "total": total, "own": own, "load": load}))
        return
    before = json.loads(state.read_text())
    # Processes that ended meanwhile (each checkout's buyers' threads live in one process that
    # is still running; gunicorn restarts none) count with their last ticks seen at start.
    own = sum(_ticks(pid) - before["own"].get(pid, 0) for pid in pids)
    elapsed = max(1, total - before["total"])
    result = {
        "others_percent": max(0, round(100 * (busy - before["busy"] - own) / elapsed)),
        "machine_busy_percent": round(100 * (busy - before["busy"]) / elapsed),
        "load_before": before["load"],
        "load_after": load,
        "top_others": top_processes(exclude=set(pids)),
    }
    Path(sys.argv[3]).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
