"""Gunicorn settings for the demo shop and the hosts in docs/deploy.md.

    gunicorn -c demo_shop/gunicorn.conf.py        (``make serve`` runs this)

A fixed pool of processes x threads, so persistent database connections are bounded
(one per thread): this is where ``CONN_MAX_AGE`` may be above 0. Every value can be
overridden with the usual ``GUNICORN_CMD_ARGS`` or the variables below.
"""

import multiprocessing
import os

wsgi_app = "demo_shop.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# One process per core, a few threads each: pages spend much of their time waiting on PostgreSQL.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then, so a slow leak in a third-party library cannot grow forever.
max_requests = 5000
max_requests_jitter = 500
# No control socket: its default path ($HOME/.gunicorn/gunicorn.ctl) is one per user, not per
# instance; systemd's signals (HUP to reload, TERM to stop) manage the server instead.
control_socket_disable = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # "" turns it off
errorlog = "-"

# Persistent connections: at most workers x threads of them (PostgreSQL's default limit is 100).
os.environ.setdefault("DJANGO_CONN_MAX_AGE", "60")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_shop.settings")
