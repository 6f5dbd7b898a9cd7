"""Count the SQL queries each benchmarked page costs: cold cache, warm cache, and the cases
the load runs measure.

Usage (settings, DATABASE_URL and REDIS_URL from the environment, as for the server):

    .venv/bin/python bench/query_counts.py [--json out.json] [--save-html DIR] [--verbose]

For each page, through django.test.Client inside CaptureQueriesContext:
- cold: the whole cache cleared first (cache.clear(): the bench Redis db), one request;
- warm: the same request again;
- grid_miss (catalogue pages): a warm cache, but a filter never asked before (a no-op
  max_price), so the cached page and grid miss while facets and profile hit, as in the load
  run BENCH_ROTATE=grid_miss;
- other_page (product page): a warm cache, then another product's page, not cached yet, as in
  the load run BENCH_ROTATE=slugs;
- no_cache: with CATALOGUE_CACHE_SECONDS=0 (as the load run with it), the second
  request, i.e. what every request of that run costs.
--save-html writes each cold response body to DIR/<page>.html (the run script copies the
catalogue page's body into STATIC_ROOT as the ceiling file, so both have the same size).
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
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

PAGES = {
    "catalogue": "/products/",
    "filtered": "/products/?size=M&in_stock=on&sort=price_asc",
    "product": "/products/bench-05000/",
}
OTHER_PRODUCT = "/products/bench-05001/"
CATALOGUE_PAGES = {"catalogue", "filtered"}
LIMIT = 10


class Counter:
    def __init__(self, verbose: bool):
        self.client = Client(HTTP_HOST="127.0.0.1")
        self.verbose = verbose

    def __call__(self, label: str, url: str) -> tuple[int, bytes]:
        with CaptureQueriesContext(connection) as captured:
            response = self.client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        if self.verbose:
            print(f"  {label}: {len(captured)} queries for {url}")
            for query in captured.captured_queries:
                print("     ", query["sql"][:240])
        return len(captured), response.content


def with_param(url: str, param: str) -> str:
    return url + ("&" if "?" in url else "?") + param


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="write the counts to this file")
    parser.add_argument("--save-html", help="write each cold page body into this folder")
    parser.add_argument("--verbose", action="store_true", help="print every query")
    args = parser.parse_args()
    count = Counter(args.verbose)
    results = {}
    for name, url in PAGES.items():
        cache.clear()
        cold, body = count("cold", url)
        warm, _ = count("warm", url)
        result = {"url": url, "cold_queries": cold, "warm_queries": warm, "html_bytes": len(body)}
        if name in CATALOGUE_PAGES:
            result["grid_miss_queries"], _ = count(
                "grid miss", with_param(url, "max_price=99999999.99")
            )
        else:
            result["other_page_queries"], _ = count("other page", OTHER_PRODUCT)
        with override_settings(CATALOGUE_CACHE_SECONDS=0):
            cache.clear()
            count("no cache, first", url)
            result["no_cache_queries"], _ = count("no cache", url)
        result["within_limit"] = cold <= LIMIT
        results[name] = result
        extra = "".join(
            f", {key.removesuffix('_queries').replace('_', ' ')} {result[key]}"
            for key in ("grid_miss_queries", "other_page_queries", "no_cache_queries")
            if key in result
        )
        print(f"{name:10} {url:46} cold {cold}, warm {warm}{extra} queries; {len(body)} bytes")
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
