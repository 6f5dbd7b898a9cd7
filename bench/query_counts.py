"""Count the SQL queries each benchmarked page costs, on a cold cache and then warm.

Usage (settings, DATABASE_URL and REDIS_URL from the environment, as for the server):

    .venv/bin/python bench/query_counts.py [--json out.json] [--save-html DIR] [--verbose]

For each page the whole cache is cleared (cache.clear(): the bench Redis db), the page is
requested once through django.test.Client inside CaptureQueriesContext (cold), then once more
(warm). --save-html writes each cold response body to DIR/<page>.html (the run script uses the
catalogue page's body as the static ceiling file, so both are the same size).
"""

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

DEFAULT_PAGES = {
    "catalogue": "/products/",
    "filtered": "/products/?size=M&in_stock=on&sort=price_asc",
    "product": "/products/bench-05000/",
}
LIMIT = 10


def measure(client: Client, url: str) -> tuple[int, list[str], bytes]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return len(captured), [q["sql"] for q in captured.captured_queries], response.content


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="write the counts to this file")
    parser.add_argument("--save-html", help="write each cold page body into this folder")
    parser.add_argument("--verbose", action="store_true", help="print every query")
    parser.add_argument(
        "--page", action="append", default=[], metavar="NAME=URL", help="pages to measure"
    )
    args = parser.parse_args()
    pages = dict(p.split("=", 1) for p in args.page) or DEFAULT_PAGES
    client = Client(HTTP_HOST="127.0.0.1")
    results = {}
    for name, url in pages.items():
        cache.clear()
        cold, sqls, body = measure(client, url)
        warm, warm_sqls, _ = measure(client, url)
        results[name] = {
            "url": url,
            "cold_queries": cold,
            "warm_queries": warm,
            "html_bytes": len(body),
            "within_limit": cold <= LIMIT,
        }
        print(f"{name:10} {url:48} cold {cold:2} queries, warm {warm:2}, {len(body)} bytes")
        if args.verbose:
            for sql in sqls:
                print("    cold:", sql[:300])
            for sql in warm_sqls:
                print("    warm:", sql[:300])
        if args.save_html:
            folder = Path(args.save_html)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{name}.html").write_bytes(body)
    cache.clear()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    if not all(r["within_limit"] for r in results.values()):
        print(f"Some page needs more than {LIMIT} queries on a cold cache.", file=sys.stderr)


if __name__ == "__main__":
    main()
