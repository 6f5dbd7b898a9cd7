"""Django's Redis cache, keeping one client per connection pool.

Django 5.2's RedisCacheClient builds a new redis.Redis object for every cache call (redis-py
fills ~170 response callbacks each time); measured in bench/, that was a visible share of a
cached page's cost. redis.Redis is thread-safe, so one per pool is enough.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        clients = self.__dict__.setdefault("_clients", {})
        client = clients.get(index)
        if client is None:
            client = clients[index] = super().get_client(key, write=write)
        return client


class ReusingRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
