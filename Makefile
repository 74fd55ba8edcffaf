# The two commands: `make demo` (run the demo shop) and `make test` (run the suite).
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.stylerec-installed

.PHONY: demo test test-oscar install browser lint bench

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch/torchvision are pinned in pyproject (engine extra); nothing newer is pulled.
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)

# Debian's Chromium and ChromeDriver for the browser tests (never a downloaded browser).
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver; \
	  else sudo apt-get update -qq && \
	    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver; fi; }

demo: install
	$(PY) manage.py demo_setup
	$(PY) manage.py demo_serve

test: install browser
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
