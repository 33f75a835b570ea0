# voicecli developer tasks. Every target works from a fresh clone.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
export XDG_RUNTIME_DIR ?= /tmp/voicecli-audio-xdg

.PHONY: install system-deps test lint bench demo soak audio-up audio-down clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@bash scripts/system-deps.sh
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

audio-up: install
	@bash scripts/virtual-audio.sh start

audio-down:
	@bash scripts/virtual-audio.sh stop

test: install audio-up
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install audio-up
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

soak: install
	VOICECLI_SOAK=long $(BIN)/pytest -q -m slow tests/e2e -k soak -s

demo: install
	$(BIN)/voicecli demo

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
