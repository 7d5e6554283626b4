# The two commands a new machine needs (see README):
#   make demo   installs what it needs, then runs `planwarden demo` on embedded defaults
#   make test   installs what it needs, then runs the whole test suite (SQLite and PostgreSQL)
#   make console  after `make demo`: the secretary's console on the demo's data
VENV   ?= .venv
PYTHON ?= python3
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test bench install console

$(STAMP): pyproject.toml
	@scripts/system-packages
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

# ical.js, for the tests that read our .ics files as Thunderbird does (tests/clients/)
ICALJS := tests/clients/node_modules/.installed
$(ICALJS): tests/clients/package-lock.json
	@if command -v npm >/dev/null; then cd tests/clients && npm ci --no-audit --no-fund --silent && touch node_modules/.installed; \
	else echo "npm not found: the ical.js tests will skip (apt-get install nodejs npm, then make install)"; fi

install: $(STAMP) $(ICALJS)

demo: $(STAMP)
	$(VENV)/bin/planwarden demo --dir planwarden-demo

console: $(STAMP)
	$(VENV)/bin/planwarden web --demo planwarden-demo

test: $(STAMP) $(ICALJS)
	$(VENV)/bin/pytest

bench: $(STAMP)
	$(VENV)/bin/python -m benchmarks
