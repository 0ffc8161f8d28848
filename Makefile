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
TFJS_VERSION := 4.22.0
TFJS := book/_vendor/tfjs/wasm-binaries.js
GENERATED := book/_generated/activations.png   # and learned_functions.png (the landing page), one command
# `make test` (minutes) checks the code and the committed book; `make verify` (about an hour on 2 cores)
# recomputes every number of the book and proves the checked ones portable: both run on another CPU code path
# (ATen without vector instructions, MKL limited to AVX) than the one that wrote the committed outputs.
# `NATIVE=1` runs them on this machine's own path instead. CI (.ci/run) runs both.
OTHER_PATH := MKL_ENABLE_INSTRUCTIONS=AVX ATEN_CPU_CAPABILITY=default
TEST_ENV := $(if $(NATIVE),,$(OTHER_PATH))
PYTEST := $(PY) -m pytest -q -p no:cacheprovider

.PHONY: install lock precompute baseline report notebooks site book serve unit lint test verify chromium lab bench clean

$(STAMP): requirements.txt requirements.lock pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c requirements.lock
	touch $(STAMP)

install: $(STAMP)

## regenerate the lock file from requirements.txt (every version pinned; torch is the CPU wheel)
lock:
	$(PY) -m pip install --quiet uv
	{ echo "# Every dependency pinned: generated from requirements.txt by \`make lock\` (uv pip compile); CUDA-only"; \
	  echo "# packages left out, as the book installs torch's CPU wheel. Installed with pip install -r requirements.txt -c requirements.lock"; \
	  $(VENV)/bin/uv pip compile requirements.txt --python-version 3.11 --no-header --no-annotate -q \
	  | grep -v '^-e \|^nvidia-\|^cuda-\|^triton'; } > requirements.lock

## the book's shared experiments, piece by piece in two processes, into .cache/ (chapters only load them)
precompute: $(STAMP)
	$(PY) -m helpers precompute --jobs 2

## the seed experiment: figures, logs and report.md in activation_functions/
baseline: $(STAMP)
	$(PY) -m helpers baseline --out activation_functions/

## report.md with the answers to the four questions and the cheat sheet (every shared run: from the cache, else
## from data/runs/, the chapters' data; `make precompute` first to compute them with the code at hand)
report: baseline
	$(PY) -m helpers report activation_functions/baseline.npz

## re-execute the chapters in place, top to bottom, written without run-to-run churn, and write the data they read
## into data/runs/ (what a fresh clone's chapters load instead of training): commit both, they belong together
notebooks: precompute
	rm -rf .cache/reads .cache/findings_*.pkl
	HELPERS_RECORD_ACCESS=.cache/reads $(PY) tools/run_notebooks.py
	$(PY) -m helpers bundle .cache/reads

## offline pages: MathJax comes from the npm registry at build time, never from a CDN at read time
$(MATHJAX):
	mkdir -p $(@D) book/_build/npm
	cd book/_build/npm && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null
	tar -xzf book/_build/npm/mathjax-$(MATHJAX_VERSION).tgz -C book/_build/npm package/es5/tex-svg-full.js
	cp book/_build/npm/package/es5/tex-svg-full.js $@

## chapter 7's in-page trainer: TensorFlow.js and its WASM backend, from the npm registry at build time
$(TFJS): $(STAMP)
	$(PY) tools/vendor_tfjs.py $(TFJS_VERSION) $(@D)

$(GENERATED): $(STAMP) $(wildcard helpers/*.py helpers/*/*.py)
	$(PY) -m helpers figures --out book/_generated

## the site, from the committed chapters (executed by `make notebooks`, their numbers checked by `make verify`)
site: $(STAMP) $(MATHJAX) $(TFJS) $(GENERATED)
	$(JB) build . --path-output book -W --keep-going -q --all
	@# the book's source as one download (the landing page links it): from git, or nothing outside a clone
	git archive --format=zip --prefix=activation-book/ -o $(SITE)/activation-book.zip HEAD 2>/dev/null \
	  || echo "not a git clone: the site has no source download"
	@echo "The book is at $(abspath $(SITE))/index.html"

## everything a reader gets: the seed experiment's folder and the site
book: baseline site

## a local preview of the built site on http://127.0.0.1:8000
serve: site
	$(PY) -m http.server 8000 --bind 127.0.0.1 --directory $(SITE)

## the fast edit-test loop: unit tests only (no notebooks, no browser, no shared runs)
unit: $(STAMP)
	$(PYTEST) -n 2 tests --ignore=tests/site --ignore=tests/lab

lint: $(STAMP)
	$(PY) -m ruff check helpers tests tools benchmarks

## the quick suite: lint, the unit tests (the engine, theory and probes against references; the committed
## chapters executed, normalised and consistent with the summary; the within-spread comparison needs the
## runs, so it is make verify's), then the site offline in a real browser
test: $(STAMP) chromium lint
	$(TEST_ENV) $(PYTEST) -n 2 tests --ignore=tests/site --ignore=tests/lab -k 'not agrees_within_its_spread'
	$(MAKE) --no-print-directory site
	$(TEST_ENV) $(PYTEST) tests/site

## the whole book recomputed: every shared run, every chapter under nbval, the trained tables within their
## spread, and the live widgets in a real JupyterLab (their kernels read the runs computed here)
verify: $(STAMP) chromium
	$(TEST_ENV) $(PY) -m helpers precompute --jobs 2
	$(TEST_ENV) HELPERS_NO_BUNDLE=1 REQUIRE_RUNS=1 $(PYTEST) -n 2 --dist loadfile --nbval-lax --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg notebooks tests/test_within_spread.py
	$(TEST_ENV) HELPERS_NO_BUNDLE=1 REQUIRE_RUNS=1 $(PYTEST) tests/lab
	@# the command line's report end to end: the seed experiment's folder and the four answers from the runs above
	$(TEST_ENV) HELPERS_NO_BUNDLE=1 $(MAKE) --no-print-directory report

## Debian's chromium for the browser tests (the playwright package drives it; it never downloads one)
chromium:
	@command -v chromium >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends chromium; }

## open the notebooks in JupyterLab
lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

## speed (benchmarks, not tests): one table of ratios measured in one run
bench: $(STAMP) chromium $(TFJS)
	$(PY) benchmarks/bench.py

clean:
	rm -rf activation_functions book/_build book/_vendor book/_generated/*.png .cache
