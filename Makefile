# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8080
ARGS ?=

.PHONY: run test lint format test-deep test-e2e clean browser screenshot bench bench-quick

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/vertex-emulator serve --host 127.0.0.1 --port $(PORT) --fixtures fixtures/demo $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Debian's Chromium and ChromeDriver for the web page's browser test, when they are missing and apt-get can
# install them; a failure is tolerated (the test then skips and says why).
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		if command -v apt-get >/dev/null 2>&1; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
				|| echo "make browser: could not install chromium; the browser test will skip"; \
		else \
			echo "make browser: no apt-get here; the browser test will skip"; \
		fi; \
	fi

screenshot: $(STAMP) browser
	$(BIN)/python -m tests.browser docs/ui.png

test: lint browser
	NO_GCE_CHECK=True $(BIN)/pytest -n 2 -q

test-deep: $(STAMP)
	NO_GCE_CHECK=True HYPOTHESIS_PROFILE=deep $(BIN)/pytest -q tests

# A real distributed workload under local execution (README "Running the job's own code"): installs the e2e extra
# (a PyTorch CPU wheel) and runs PyTorch DDP across two replicas of a job on a persistent resource.
test-e2e: $(STAMP)
	$(BIN)/pip install --quiet -e '.[e2e]'
	NO_GCE_CHECK=True VERTEX_EMULATOR_E2E=1 $(BIN)/pytest -q -s tests/test_e2e_ddp.py

# Benchmarks (bench/, README "Performance"): the full run installs moto, the peer it compares with.
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	NO_GCE_CHECK=True $(BIN)/python -m bench.run

bench-quick: $(STAMP)
	NO_GCE_CHECK=True $(BIN)/python -m bench.run --quick

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
