# voicecli developer tasks. Every target works from a fresh clone.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
export XDG_RUNTIME_DIR ?= /tmp/voicecli-audio-xdg

.PHONY: install system-deps test lint bench demo soak audio-up audio-down clean

install: $(STAMP)

$(STAMP): pyproject.toml setup.py
	@bash scripts/system-deps.sh
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	PYTHONWARNINGS=ignore $(BIN)/pip install --quiet -e ".[dev,offline,mcp,aec]"
	@touch $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

audio-up: install
	@bash scripts/virtual-audio.sh start

audio-down:
	@bash scripts/virtual-audio.sh stop

test: install audio-up
	$(BIN)/pytest -q -n auto --dist worksteal

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install audio-up
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

soak: install
	VOICECLI_SOAK=long $(BIN)/pytest -q -m slow tests/e2e -k soak -s

# Laura's whole workflow against the built-in emulator, from speech: each line is spoken, recognised by the
# emulator (the "user:" lines show the words it heard) and answered by its generic brain from her persona
# and tools; her voice goes to out/.
demo: install
	@mkdir -p out
	$(BIN)/voicecli talk --offline --persona laura --say-file personas/laura.demo.txt --fast \
		--output out/laura-demo.wav
	@echo "Laura's side of the conversation: out/laura-demo.wav"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Apps on other frameworks (pipecat, LiveKit) against `voicecli emulator`; each framework is installed
# into its own venv under .cache/peers/ on first use. Not part of `make test` (see peers/*.py).
.PHONY: conformance bench-peers
conformance: install
	@bash peers/system-deps.sh
	$(BIN)/python peers/conformance.py --write-docs

bench-peers: install
	@bash peers/system-deps.sh
	$(BIN)/python peers/bench_peers.py --write-docs
