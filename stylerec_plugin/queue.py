"""Queueing StyleRec jobs: RQ through django-rq, or inline, after the transaction commits.

``enqueue()`` is the only way the plugin starts background work. It

* waits for the surrounding transaction to commit (``transaction.on_commit``), so a
  rolled-back save queues nothing and a worker never sees rows that are not there yet;
* accepts primary keys and other plain values only, never model instances (a worker
  must read fresh rows, and pickled instances go stale);
* follows ``STYLEREC["QUEUE_MODE"]``:

  ``"rq"``      queue on RQ; when Redis does not answer, log a warning and go on. The
               save that asked for the job has already succeeded; its rows stay
               ``pending`` and ``manage.py stylerec_restyle --missing`` heals the gap.
  ``"inline"``  run the job in this process (tests, tiny shops, the demo without Redis).
  ``"auto"``    RQ when Redis answers, else inline, saying so once in the log.

Whether Redis answers is probed with a short timeout and remembered for a few
seconds, so a burst of saves while Redis is down costs one probe, not one each.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string

from .conf import settings

logger = logging.getLogger("stylerec_plugin.queue")

# How long a probe result is trusted, and how long a probe may take.
PROBE_TTL_SECONDS = 5.0
#: A StyleRecWorker looks for dead jobs at least this often (seconds); stylerec_status does not count
#: a worker silent this long (restyling/worker.py, restyling/status.py).
WORKER_RECOVERY_INTERVAL = 120
PROBE_TIMEOUT_SECONDS = 0.5

WORKER_HINT = (
    "start a worker with: python manage.py rqworker {queue} --with-scheduler "
    "--worker-class stylerec_plugin.restyling.worker.StyleRecWorker"
)
HEAL_HINT = "run `python manage.py stylerec_restyle --missing` once Redis is back"

_probe_lock = threading.Lock()
_probe_cache: dict[tuple, tuple[float, bool]] = {}
_announced_inline = False

_PLAIN_TYPES = (int, str, float, bool, type(None))


class QueueUnavailable(RuntimeError):
    """Redis did not answer; the job was not queued."""


def _check_plain(value: Any, where: str) -> None:
    """Jobs take primary keys and plain values only: a worker must load fresh rows."""
    if isinstance(value, _PLAIN_TYPES):
        return
    if isinstance(value, list | tuple):
        for item in value:
            _check_plain(item, where)
        return
    raise TypeError(
        f"StyleRec jobs take primary keys and plain values only; {where} is a {type(value).__name__}."
        " Pass obj.pk instead of the object."
    )


def _func_path(func: str | Callable) -> str:
    if isinstance(func, str):
        return func
    return f"{func.__module__}.{func.__qualname__}"


def get_queue():
    """The django-rq queue StyleRec uses (``STYLEREC["QUEUE_NAME"]``).

    ``commit_mode="auto"``: this module already waits for the commit itself.
    """
    import django_rq

    return django_rq.get_queue(settings.QUEUE_NAME, commit_mode="auto")


def get_connection():
    """The Redis connection of the StyleRec queue."""
    import django_rq

    return django_rq.get_connection(settings.QUEUE_NAME)


def _probe_client(connection):
    """A client for the same server with short timeouts and no retries, just for the probe."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    pool = connection.connection_pool
    kwargs = dict(pool.connection_kwargs)
    kwargs.update(
        socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
        socket_timeout=PROBE_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )
    return redis.Redis(connection_pool=redis.ConnectionPool(connection_class=pool.connection_class, **kwargs))


def _connection_key(connection) -> tuple:
    kwargs = connection.connection_pool.connection_kwargs
    return (kwargs.get("host"), kwargs.get("port"), kwargs.get("db"), kwargs.get("path"))


def redis_available(*, use_cache: bool = True) -> bool:
    """Whether the queue's Redis answers a PING within half a second (cached briefly)."""
    try:
        connection = get_connection()
    except Exception:  # misconfigured RQ_QUEUES: treat like an unreachable server
        logger.exception("StyleRec: cannot build a Redis connection for queue %r", settings.QUEUE_NAME)
        return False
    key = _connection_key(connection)
    now = time.monotonic()
    with _probe_lock:
        cached = _probe_cache.get(key)
        if use_cache and cached and now - cached[0] < PROBE_TTL_SECONDS:
            return cached[1]
    client = _probe_client(connection)
    try:
        ok = bool(client.ping())
    except Exception:
        ok = False
    finally:
        client.close()
    with _probe_lock:
        _probe_cache[key] = (time.monotonic(), ok)
    return ok


def reset_probe_cache() -> None:
    """Forget the last Redis probe (tests, or after reconfiguring RQ_QUEUES)."""
    global _announced_inline
    with _probe_lock:
        _probe_cache.clear()
    _announced_inline = False


_local = threading.local()


class run_jobs_inline:
    """Context manager: jobs enqueued in this thread run here, whatever QUEUE_MODE says.

    ``stylerec_restyle --inline`` uses it.
    """

    def __enter__(self) -> run_jobs_inline:
        self._previous = getattr(_local, "force_inline", False)
        _local.force_inline = True
        return self

    def __exit__(self, *exc_info) -> None:
        _local.force_inline = self._previous


def effective_mode() -> str:
    """"rq" or "inline": what a job enqueued now would do."""
    global _announced_inline
    mode = settings.QUEUE_MODE
    if getattr(_local, "force_inline", False):
        return "inline"
    if mode == "inline":
        return "inline"
    if mode == "auto":
        if redis_available():
            _announced_inline = False
            return "rq"
        if not _announced_inline:
            _announced_inline = True
            logger.warning(
                "StyleRec: Redis for queue %r does not answer, so style jobs run inline in this process "
                "(slow requests). To run them in the background, %s.",
                settings.QUEUE_NAME,
                WORKER_HINT.format(queue=settings.QUEUE_NAME),
            )
        return "inline"
    return "rq"


def run_inline(func: str | Callable, args: tuple = (), kwargs: dict | None = None) -> Any:
    """Run a job function here and now; errors are logged, never raised into a save."""
    target = import_string(func) if isinstance(func, str) else func
    try:
        return target(*args, **(kwargs or {}))
    except Exception:
        logger.exception("StyleRec: inline job %s%r failed", _func_path(func), tuple(args))
        return None


def _send_to_rq(func_path: str, args: tuple, kwargs: dict, job_id: str, delay: float | None) -> str | None:
    if not redis_available():
        logger.warning(
            "StyleRec: Redis for queue %r is unreachable; %s%r was not queued. The save succeeded and its "
            "variants stay pending: %s.",
            settings.QUEUE_NAME,
            func_path,
            args,
            HEAL_HINT,
        )
        return None
    try:
        queue = get_queue()
        options = {
            "args": args,
            "kwargs": kwargs,
            "job_id": job_id,
            "job_timeout": settings.JOB_TIMEOUT,
            "description": f"{func_path.rsplit('.', 1)[-1]}{args!r}",
            "failure_ttl": 7 * 24 * 3600,
        }
        # Explicit args/kwargs: RQ's own option names never clash with the job's arguments.
        if delay and delay > 0:
            queue.enqueue_in(timedelta(seconds=delay), func_path, **options)
        else:
            queue.enqueue(func_path, **options)
    except Exception as exc:  # Redis went away between the probe and the call
        reset_probe_cache()
        logger.warning(
            "StyleRec: could not queue %s%r on %r (%s). The save succeeded and its variants stay pending: %s.",
            func_path,
            args,
            settings.QUEUE_NAME,
            exc,
            HEAL_HINT,
        )
        return None
    return job_id


def _dispatch(func: str | Callable, args: tuple, kwargs: dict, job_id: str, delay: float | None) -> str | None:
    if effective_mode() == "inline":
        if delay and delay > 0:
            # Never sleep in a web request: the row stays pending for the heal command.
            logger.info(
                "StyleRec: %s%r would retry in %ss; inline mode leaves it pending (%s).",
                _func_path(func),
                args,
                delay,
                "manage.py stylerec_restyle --missing retries it",
            )
            return None
        run_inline(func, args, kwargs)
        return None
    return _send_to_rq(_func_path(func), args, kwargs, job_id, delay)


def enqueue_call(
    func: str | Callable,
    args: tuple | list = (),
    kwargs: dict | None = None,
    *,
    delay: float | None = None,
    using: str | None = None,
) -> str | None:
    """Queue ``func(*args, **kwargs)`` once the current transaction commits.

    Returns the RQ job id it will have (``None`` when the job runs inline, or when it
    could not be queued and no transaction is open). Outside a transaction the job is
    dispatched at once.
    """
    args = tuple(args)
    kwargs = dict(kwargs or {})
    for position, value in enumerate(args):
        _check_plain(value, f"argument {position}")
    for name, value in kwargs.items():
        _check_plain(value, f"argument {name!r}")
    job_id = f"stylerec-{uuid.uuid4().hex}"
    connection = transaction.get_connection(using)
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _dispatch(func, args, kwargs, job_id, delay), using=using, robust=True)
        return None if settings.QUEUE_MODE == "inline" or getattr(_local, "force_inline", False) else job_id
    return _dispatch(func, args, kwargs, job_id, delay)


def enqueue(func: str | Callable, *args: Any, **kwargs: Any) -> str | None:
    """Queue ``func(*args, **kwargs)`` after commit; primary keys only. See the module docstring."""
    return enqueue_call(func, args, kwargs)


def enqueue_in(seconds: float, func: str | Callable, *args: Any, **kwargs: Any) -> str | None:
    """Like :func:`enqueue`, but not before ``seconds`` (RQ's scheduler: run workers ``--with-scheduler``)."""
    return enqueue_call(func, args, kwargs, delay=seconds)
