"""In-process CPU per answer of the shopper-with-a-cart pages (issue 18), with a profile.

    .venv/bin/python bench/shopper/profile_pages.py --database shop_ff_bench \
        --redis redis://127.0.0.1:6379/8 [--requests 2000] [--profile 500] [--path /products/]

What bench/shopper/run.py's four page rows measure, without gunicorn or wrk: the same
environment, a session whose cart holds one item, and the WSGI application called directly
with a GET as gunicorn would build it (no django.test.Client, whose own bookkeeping would be
most of a cached answer's cost). Prints the CPU time of this process per answer
(time.process_time: Django's side only, not Redis's), then cProfile's top functions.
"""

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))


def environ(path: str, cookie: str) -> dict:
    base, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": base,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "9820",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:9820",
        "HTTP_COOKIE": cookie,
        "HTTP_ACCEPT": "*/*",
        "HTTP_USER_AGENT": "wrk",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="shop_ff_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/8")
    parser.add_argument("--path", action="append", help="page(s); default: run.py's four")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--profile", type=int, default=500, help="requests profiled (0: none)")
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "bench" / "shopper"))
    from profile_filters import set_up  # noqa: PLC0415 (beside this file)

    run, cookie = set_up(args.database, args.redis)
    from config.wsgi import application

    paths = args.path or [path for _page, path, _label in run.PAGES]

    def answer(path: str) -> tuple[str, bytes]:
        status = []
        body = b"".join(application(environ(path, cookie), lambda s, h, e=None: status.append(s)))
        return status[0], body

    for path in paths:
        for _ in range(20):  # warm every cache the answer reads
            status, body = answer(path)
        assert status.startswith("200"), (path, status)
        start = time.process_time()
        for _ in range(args.requests):
            answer(path)
        cpu = time.process_time() - start
        print(f"{path}: {1000 * cpu / args.requests:.3f} ms CPU per answer, {len(body)} bytes")
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for path in paths:
            for _ in range(args.profile):
                answer(path)
        profile.disable()
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(order).print_stats(args.top)
            print(out.getvalue())


if __name__ == "__main__":
    main()
