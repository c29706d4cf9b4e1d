# Two commands on a fresh machine: `make run` and `make test`. Each builds .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test demo check lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Runs the bot. Without Slack tokens `oops serve` explains how to get them and exits with 2;
# that is an answer, not a failure, so make does not add an error line after it.
run: $(STAMP)
	@$(BIN)/oops serve $(ARGS); status=$$?; [ $$status -eq 2 ] || exit $$status

test: $(STAMP)
	$(BIN)/ruff check bot slack_emulator tests bench
	$(BIN)/python -m pytest $(PYTEST_ARGS)

demo: $(STAMP)
	$(BIN)/oops demo

check: $(STAMP)
	$(BIN)/oops check

lint: $(STAMP)
	$(BIN)/ruff check bot slack_emulator tests bench

bench: $(STAMP)
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache oops.db oops.db-wal oops.db-shm oops.db.scheduler-lock
