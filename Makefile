# The two commands: `make demo` (run the demo shop) and `make test` (run the suite).
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.stylerec-installed

ADDR ?= 127.0.0.1:8000
# `make serve`: the production settings (docs/deploy.md). A Redis cache shared by the
# gunicorn processes; PostgreSQL when DATABASE_URL names it (SQLite otherwise).
SERVE_ENV = DJANGO_DEBUG=0 DJANGO_STATIC_MANIFEST=1 DJANGO_CACHE_URL=$${DJANGO_CACHE_URL:-redis://127.0.0.1:6379/1}

.PHONY: demo serve test test-oscar install browser node gettext lint bench

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch/torchvision are pinned in pyproject (engine extra); nothing newer is pulled.
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)

# Debian packages, installed only when missing (as root, or through sudo).
APT_INSTALL = if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends

# Debian's Chromium and ChromeDriver for the browser tests (never a downloaded browser),
# and a CJK font so the Chinese pages render (and their screenshots can be read).
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && \
	  fc-list :lang=zh family | grep -qi "wqy zen hei" || { \
	  $(APT_INSTALL) chromium chromium-driver fonts-wqy-zenhei; }

# GNU gettext: the catalogue test runs makemessages (xgettext) on a copy of the plugin.
gettext:
	@command -v xgettext >/dev/null && command -v msgfmt >/dev/null || { $(APT_INSTALL) gettext; }

# axe-core for the accessibility tests, pinned in package.json / package-lock.json and
# installed into ./node_modules (Selenium reads it from there; never from a CDN).
NODE_STAMP := node_modules/.stylerec-installed
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { $(APT_INSTALL) nodejs npm; }
	npm ci --no-audit --no-fund
	touch $@

node: $(NODE_STAMP)

# The development demo: the only place DEBUG is on.
demo: install
	DJANGO_DEBUG=1 $(PY) manage.py demo_setup
	DJANGO_DEBUG=1 $(PY) manage.py demo_serve --addr $(ADDR)

# The demo as a production host runs it: gunicorn, WhiteNoise, DEBUG off.
serve: install
	$(SERVE_ENV) $(PY) manage.py demo_setup
	$(SERVE_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(SERVE_ENV) $(PY) manage.py demo_serve --gunicorn --addr $(ADDR)

test: install browser node gettext
	$(PY) tests/check_services.py
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest
	$(MAKE) test-oscar

# The Oscar tier: a real django-oscar shop with its own settings and database (tests/oscar).
test-oscar: install
	DJANGO_SETTINGS_MODULE=tests.oscar.settings $(PY) manage.py makemigrations --check --dry-run stylerec_plugin
	$(PY) -m pytest tests/oscar --ds tests.oscar.settings

lint: install
	$(VENV)/bin/ruff check .

bench: install
	$(PY) -m stylerec_plugin.engine bench
