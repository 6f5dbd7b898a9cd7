"""EXPERIMENT, not the app: measures two proposed changes without touching the app's files.

    BENCH_APP=page_cache_wsgi BENCH_PYTHONPATH=bench/experiments bench/run_catalogue.sh

wraps config.wsgi's application after patching, in this process only:

- EXP_REDIS_CLIENT=1 (default on): Django's RedisCacheClient.get_client() builds a new
  redis.Redis object for every cache call (redis-py fills ~170 response callbacks each time);
  here one client per connection pool is kept and reused (redis.Redis is thread-safe).
- EXP_PAGE_CACHE=1 (default on): the catalogue (shop.views.product_list) and the product page
  (reviews.views.product_detail, which serves /products/<slug>/ with its reviews; also
  shop.views.product_detail) answer a GET from a request
  that carries no session cookie and no messages cookie (a visitor with no cart, not signed in)
  from a whole-page cache keyed by catalogue version, language, htmx-or-not and the full path.
  The CSRF token is the only per-request part of such a page: it is stored as a placeholder and
  a fresh token (get_token, which also sets the cookie) is put in on the way out.

Both were then adopted in the app (commit 1db48b6: shop/page_cache.py, config/cache.py), so on
later commits this wrapper adds nothing; it stays to reproduce
bench/reports/experiment-page-cache-2026-11-25-1936.* on the commit measured there (0daf3c2).
"""

import os
import re
from functools import wraps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.middleware.csrf import get_token  # noqa: E402
from django.utils.cache import patch_vary_headers  # noqa: E402
from django.utils.translation import get_language  # noqa: E402

import shop.views  # noqa: E402
from shop.cache import catalogue_version  # noqa: E402

# A masked CSRF token is 64 letters and digits; in these pages it appears in hx-headers and in
# hidden csrfmiddlewaretoken inputs.
TOKEN = re.compile(rb'(?:(?<="x-csrftoken": ")|(?<=csrfmiddlewaretoken" value="))[A-Za-z0-9]{64}')
PLACEHOLDER = b"\x00csrf\x00"


def _on(name: str) -> bool:
    return os.environ.get(name, "1") == "1"


def reuse_redis_clients() -> None:
    from django.core.cache.backends.redis import RedisCacheClient

    build = RedisCacheClient.get_client

    def get_client(self, key=None, *, write=False):
        clients = self.__dict__.setdefault("_reused_clients", {})
        index = self._get_connection_pool_index(write)
        if index not in clients:
            clients[index] = build(self, key, write=write)
        return clients[index]

    RedisCacheClient.get_client = get_client


def page_cache(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if (
            request.method != "GET"
            or request.COOKIES.get(settings.SESSION_COOKIE_NAME)
            or request.COOKIES.get("messages")
        ):
            return view(request, *args, **kwargs)
        htmx = int(bool(request.htmx))
        key = f"page:{catalogue_version()}:{get_language()}:{htmx}:{request.get_full_path()}"
        body = cache.get(key)
        if body is None:
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming:
                stored = TOKEN.sub(PLACEHOLDER, response.content)
                cache.set(key, stored, settings.CATALOGUE_CACHE_SECONDS)
            return response
        response = HttpResponse(body.replace(PLACEHOLDER, get_token(request).encode()))
        patch_vary_headers(response, ["HX-Request"])
        return response

    return wrapped


if _on("EXP_REDIS_CLIENT"):
    reuse_redis_clients()
if _on("EXP_PAGE_CACHE"):
    # Before the URLconf is imported (at the first request), so its routes take the wrappers.
    shop.views.product_list = page_cache(shop.views.product_list)
    shop.views.product_detail = page_cache(shop.views.product_detail)
    try:
        import reviews.views
    except ImportError:
        pass
    else:
        if hasattr(reviews.views, "product_detail"):  # until shop served the page again
            reviews.views.product_detail = page_cache(reviews.views.product_detail)

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
