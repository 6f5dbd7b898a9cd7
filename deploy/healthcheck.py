"""The containers' health checks (compose.yaml); exit 0 when healthy.

    python deploy/healthcheck.py web    /healthz answers 200 (database, cache, broker, dispatcher)
    python deploy/healthcheck.py beat   beat wrote its schedule file within the last 10 minutes

The web check asks gunicorn directly, as Caddy would: with the site's host name and the
X-Forwarded-Proto Caddy sends, so that neither ALLOWED_HOSTS nor the HTTPS redirect answers
instead of the view.
"""

import glob
import os
import sys
import time
import urllib.error
import urllib.request

BEAT_SCHEDULE = os.environ.get("BEAT_SCHEDULE", "/tmp/celerybeat-schedule")  # noqa: S108
BEAT_STALE_SECONDS = 600  # beat writes its schedule every 3 minutes while it sends tasks


def web() -> bool:
    hosts = [h.strip().lstrip(".") for h in os.environ.get("ALLOWED_HOSTS", "").split(",")]
    host = next((h for h in hosts if h and h != "*"), "localhost")
    bind = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
    address = bind.replace("0.0.0.0", "127.0.0.1")  # noqa: S104 - asking, not binding
    request = urllib.request.Request(  # noqa: S310 - a fixed http:// address
        f"http://{address}/healthz", headers={"Host": host, "X-Forwarded-Proto": "https"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status == 200
    except (urllib.error.URLError, OSError) as error:
        print(f"web unhealthy: {error}", file=sys.stderr)
        return False


def beat() -> bool:
    files = glob.glob(BEAT_SCHEDULE + "*")
    if not files:
        return False
    age = time.time() - max(os.path.getmtime(f) for f in files)
    return age < BEAT_STALE_SECONDS


if __name__ == "__main__":
    checks = {"web": web, "beat": beat}
    sys.exit(0 if checks[sys.argv[1]]() else 1)
