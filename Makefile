# Keireki — `make run` and `make test` do all the set-up on a fresh machine with Python >= 3.11.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell sha256sum requirements.lock pyproject.toml | sha256sum | cut -c1-12)
PORT   ?= 5000
PYTEST_ARGS ?=

.PHONY: run test lint install translations catalogs migration browser readers clean help

help:
	@echo "make run    - install, migrate, load the bundled study, start web + worker + beat on :$(PORT)"
	@echo "make test   - install and run the whole test suite"
	@echo "make lint   - ruff, mypy and the import layers (lint-imports)"

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP) translations

translations: $(STAMP)
	@if ls webapp/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(BIN)/pybabel compile --statistics -d webapp/translations 2>&1 | tail -n 1; fi

# Extract UI strings and update every language's catalog (new strings arrive untranslated: the test fails).
catalogs: $(STAMP)
	$(BIN)/pybabel extract --no-location --sort-output -k _l -F babel.cfg -o webapp/translations/messages.pot webapp
	@for lang in ja vi id tl my zh_Hans ne km th en; do \
		if [ -f webapp/translations/$$lang/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update --no-fuzzy-matching -i webapp/translations/messages.pot -d webapp/translations -l $$lang; \
		else \
			$(BIN)/pybabel init -i webapp/translations/messages.pot -d webapp/translations -l $$lang; fi; done

run: install
	KEIREKI_BASE_URL=$${KEIREKI_BASE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/keireki setup
	KEIREKI_BASE_URL=$${KEIREKI_BASE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/keireki serve --port $(PORT)

# Browser tests drive Debian's Chromium; installed here when missing and apt is usable (root).
browser:
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		(apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)) \
		&& echo "installed chromium"; fi
	@# Khmer, Thai and Burmese fonts, as phones have them: the 320 px line-breaking test measures real glyphs.
	@if ! (fc-list 2>/dev/null | grep -qi khmer && fc-list 2>/dev/null | grep -qi myanmar) \
		&& command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		apt-get install -y -q --no-install-recommends fonts-khmeros fonts-thai-tlwg-ttf fonts-noto-core >/dev/null 2>&1 \
		&& echo "installed Khmer, Thai and Burmese fonts"; fi

# The export bundle's external readers (tests/webapp/exports/test_external_readers.py): R with haven, PSPP and
# LibreOffice Calc (headless) from Debian; and Java for ODK Validate (its jar ships in the pyxform wheel;
# tests/instruments/test_xlsform_corpus.py). Installed here when missing and apt is usable (root).
READER_PACKAGES := r-base-core r-cran-haven pspp libreoffice-calc-nogui default-jre-headless
readers:
	@if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		missing=$$(for p in $(READER_PACKAGES); do \
			dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
		if [ -n "$$missing" ]; then \
			export DEBIAN_FRONTEND=noninteractive; \
			(apt-get install -y -q --no-install-recommends $$missing >/dev/null 2>&1 \
				|| (apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $$missing >/dev/null)) \
			&& echo "installed" $$missing; fi; fi

test: install browser readers
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check webapp instruments workers tests bench alembic/env.py
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

migration: install
	$(BIN)/python alembic/regenerate.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
