"""The session engine: Django's cached_db, without the lookup before each new session.

Django's database backends look a new random key up (the cache, then the database) before
they insert it, and insert it in a way that fails on a duplicate anyway (force_insert, the
table's primary key: CreateError, and a new key is drawn). The lookup costs a Redis call and a
query on every first write of a visitor's session (the first add to a cart); 32 random
characters of 36 never meet in practice, and if two did, the insert would refuse the second
as before, so nobody could ever share another's session.
"""

from django.conf import settings
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbSessionStore
from django.utils.crypto import get_random_string


class SessionStore(CachedDbSessionStore):
    def _get_new_session_key(self) -> str:
        # Unique by the insert that follows (save(must_create=True)), not by a lookup.
        return get_random_string(32, VALID_KEY_CHARS)

    def preload(self, data: dict | None) -> None:
        """Take `data` as this session's, read from the cache beside other keys in one round
        trip (shop.page_cache): what load() would have read from the cache, so nothing is read
        again. None (not in the cache) leaves load() to read the database as before."""
        if data is not None and not hasattr(self, "_session_cache"):
            # Django's SessionBase keeps what load() gave under this name.
            self._session_cache = data


def preloadable_key(session) -> str | None:
    """The cache key under which `session` (a request's, not read yet) keeps its data, when it
    has a key and lives in the default cache; None otherwise (nothing to read beside)."""
    if not isinstance(session, SessionStore) or session.session_key is None:
        return None
    if settings.SESSION_CACHE_ALIAS != "default" or hasattr(session, "_session_cache"):
        return None
    return session.cache_key
