# Two commands for a new user: `make book` and `make test` (README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV ?= .venv
PY := $(VENV)/bin/python
JB := $(VENV)/bin/jupyter-book
STAMP := $(VENV)/.installed-stamp
SITE := book/_build/html
MATHJAX_VERSION := 3.2.2
MATHJAX := book/_vendor/mathjax/tex-svg-full.js
GENERATED := book/_generated/activations.png
NB_CACHE := book/_build/.jupyter_cache
HELPERS_HASH := book/_build/.helpers-hash
BUILD_MODE := book/_build/.build-mode

.PHONY: install precompute baseline notebooks book site-from-committed test chromium lab bench clean

$(STAMP): requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

## the book's shared experiments, two at a time, into .cache/ (notebooks then load them)
precompute: $(STAMP)
	$(PY) -m helpers precompute --jobs 2

## the seed experiment: figures, report.md and logs in activation_functions/
baseline: precompute
	$(PY) -m helpers baseline --out activation_functions/
	$(PY) -m helpers report activation_functions/baseline.npz

## re-execute the chapters in place, top to bottom, written without run-to-run churn (commit the result)
notebooks: precompute
	$(PY) tools/run_notebooks.py

## offline pages: MathJax comes from the npm registry at build time, never from a CDN at read time
$(MATHJAX):
	mkdir -p $(@D) book/_build/npm
	cd book/_build/npm && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null
	tar -xzf book/_build/npm/mathjax-$(MATHJAX_VERSION).tgz -C book/_build/npm package/es5/tex-svg-full.js
	cp book/_build/npm/package/es5/tex-svg-full.js $@

$(GENERATED): $(STAMP) $(wildcard helpers/*.py helpers/*/*.py)
	$(PY) -m helpers figures --out book/_generated

## everything a reader gets: the seed artifacts and the site, notebooks executed (cached)
book: baseline $(MATHJAX) $(GENERATED)
	@# jupyter-cache keys on notebook code only: a change in helpers/ must re-run every notebook,
	@# and a site last built from committed outputs (make test) must be re-read in full
	@mkdir -p book/_build
	@h=$$(find helpers -name '*.py' | sort | xargs cat | sha256sum | cut -c1-16); all=; \
	if [ "$$(cat $(HELPERS_HASH) 2>/dev/null)" != "$$h" ]; then rm -rf $(NB_CACHE); echo "$$h" > $(HELPERS_HASH); all=--all; fi; \
	if [ "$$(cat $(BUILD_MODE) 2>/dev/null)" != executed ]; then all=--all; fi; \
	$(JB) build . --path-output book -W --keep-going $$all
	@echo executed > $(BUILD_MODE)
	@# chapter 1 rewrites activation_functions/ with the seed-only report: add the four questions again
	$(PY) -m helpers report activation_functions/baseline.npz
	@echo "The book is at $(abspath $(SITE))/index.html"

## the site from the committed (nbval-verified) notebook outputs, without executing them again
site-from-committed: $(STAMP) $(MATHJAX) $(GENERATED)
	mkdir -p book/_build
	sed 's/execute_notebooks: cache/execute_notebooks: "off"/' _config.yml > book/_build/_config_noexec.yml
	$(JB) build . --path-output book --config book/_build/_config_noexec.yml -W --keep-going -q --all
	echo committed > $(BUILD_MODE)

## the whole test suite: unit tests and nbval (in parallel), then the site in a real browser
test: $(STAMP) chromium precompute
	$(PY) -m pytest -q -n 2 --dist loadfile --nbval-lax --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg tests notebooks --ignore=tests/site
	$(MAKE) --no-print-directory site-from-committed
	$(PY) -m pytest -q tests/site

## Debian's chromium for the browser test (the playwright package drives it; it never downloads one)
chromium:
	@command -v chromium >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends chromium; }

## open the notebooks in JupyterLab
lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

## speed: batched engine vs the plain loop, and each notebook's execution time (benchmarks, not tests)
bench: $(STAMP)
	$(PY) benchmarks/bench_baseline.py
	$(PY) benchmarks/bench_widgets.py
	$(PY) benchmarks/bench_notebooks.py

clean:
	rm -rf activation_functions book/_build book/_vendor .cache
