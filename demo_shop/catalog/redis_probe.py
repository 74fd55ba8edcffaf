from redis import Redis
from redis.exceptions import RedisError


def redis_available(url: str) -> bool:
    """True when the Redis at ``url`` answers a PING within a second."""
    try:
        return bool(Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except (RedisError, OSError):
        return False
