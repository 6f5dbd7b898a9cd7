"""shop_profile(): kept per catalogue version by the process as well as in the cache."""

import pytest
from django.core.cache import cache

from shop import context_processors

pytestmark = pytest.mark.django_db


def test_the_kept_profile_is_asked_of_the_cache_once_per_version(shop_profile, monkeypatch):
    first = context_processors.shop_profile()
    reads = []
    original = cache.get
    monkeypatch.setattr(
        cache, "get", lambda key, *a, **k: reads.append(key) or original(key, *a, **k)
    )
    assert context_processors.shop_profile() is first
    assert not [key for key in reads if key.startswith("shop:profile:")]  # only the version


def test_a_saved_profile_shows_at_once_after_its_commit(
    shop_profile, django_capture_on_commit_callbacks
):
    assert context_processors.shop_profile().name == shop_profile.name
    with django_capture_on_commit_callbacks(execute=True):
        shop_profile.name = "Jinghe Garment Works"
        shop_profile.save()
    assert context_processors.shop_profile().name == "Jinghe Garment Works"


def test_without_a_version_nothing_is_kept(shop_profile, monkeypatch):
    monkeypatch.setattr(context_processors, "reliable_catalogue_version", lambda: None)
    context_processors._kept.clear()
    context_processors.shop_profile()
    assert context_processors._kept == {}
