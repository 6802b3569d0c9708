# `make run` and `make test` set everything up on a fresh machine with Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install run test model bench clean

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

# The browser tests drive Debian's Chromium (Playwright's own browser download is not used).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null

# Fetch MNIST, train the default recipe, evaluate it on the test set, recognise the bundled samples.
run: install
	$(BIN)/digits data
	$(BIN)/digits show --index 35 --out runs/sample-35.png
	$(BIN)/digits train --preset fast --out runs/fast.keras
	$(BIN)/digits evaluate --model runs/fast.keras
	$(BIN)/digits predict --model runs/fast.keras src/digits/samples/*
	$(BIN)/digits predict src/digits/samples/*

test: install $(CHROMIUM)
	$(BIN)/digits data > /dev/null
	$(BIN)/python -m pytest -q

# Reproduce the shipped default model (long: run it in the background on a CPU).
model: install
	$(BIN)/digits train --preset best --out runs/best.keras

clean:
	rm -rf $(VENV) runs build *.egg-info src/*.egg-info
