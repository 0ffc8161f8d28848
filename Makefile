# Two commands for a new user: `make book` and `make test` (README.md).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install baseline book test lab bench clean

$(STAMP): requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

## the seed experiment: figures, report.md and logs in activation_functions/
baseline: $(STAMP)
	$(PY) -m helpers baseline --out activation_functions/

## everything a reader gets: the seed artifacts (and, with the book, the site)
book: baseline

## the whole test suite
test: $(STAMP)
	$(PY) -m pytest -q tests

## open the notebooks in JupyterLab
lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

## speed of the batched engine against the plain loop (a benchmark, not a test)
bench: $(STAMP)
	$(PY) benchmarks/bench_baseline.py

clean:
	rm -rf activation_functions book/_build .cache
