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
	@echo "== 1. MNIST: fetch (if needed), verify, describe"
	$(BIN)/digits data
	@echo "== 2. Look at training sample 35 (the tutorial's 5)"
	$(BIN)/digits show --index 35 --out runs/sample-35.png
	@echo "== 3. Train the fast recipe (validation split from the training set)"
	$(BIN)/digits train --preset fast --out runs/fast.keras
	@echo "== 4. Evaluate it on the 10,000 test images"
	$(BIN)/digits evaluate --model runs/fast.keras
	@echo "== 5. Recognise the bundled sample images, with it and with the shipped model"
	$(BIN)/digits predict --model runs/fast.keras --top 2 src/digits/samples/*
	$(BIN)/digits predict --top 2 src/digits/samples/*

test: install $(CHROMIUM)
	$(BIN)/digits data > /dev/null
	$(BIN)/python -m pytest -q

# Reproduce the shipped models: train the best recipe once per seed with each
# architecture, holding out the validation split; train twins of the members the models
# chose (same recipe and seed, on all 60,000 training images); then
# scripts/ship_model.py chooses on the validation split (the default within an inference
# budget, the accurate one whatever its cost) and ships the twins. Runs that already have
# a card are kept. Long on a CPU: on 2 cores 12 to 19 minutes per `best` run, about 8 per
# `compact` run.
SEEDS ?= 0 1 2 3
ARCHS ?= best compact
TWINS ?= best:0 best:1 compact:0 compact:1
RUNS = $(foreach arch,$(ARCHS),$(foreach seed,$(SEEDS),runs/$(arch)-s$(seed).keras)) \
	$(foreach twin,$(TWINS),runs/$(word 1,$(subst :, ,$(twin)))-all-s$(word 2,$(subst :, ,$(twin))).keras)
model: install
	for arch in $(ARCHS); do for seed in $(SEEDS); do \
		test -f runs/$$arch-s$$seed.card.json || \
		$(BIN)/digits train --preset best --arch $$arch --seed $$seed --out runs/$$arch-s$$seed.keras || exit 1; \
	done; done
	for twin in $(TWINS); do arch=$${twin%:*}; seed=$${twin#*:}; \
		test -f runs/$$arch-all-s$$seed.card.json || \
		$(BIN)/digits train --preset best --arch $$arch --seed $$seed --validation-split 0 \
			--out runs/$$arch-all-s$$seed.keras || exit 1; \
	done
	$(BIN)/python scripts/ship_model.py $(RUNS)

# Benchmarks (not tests): each prints a table; see docs/.
bench: install
	$(BIN)/python bench/model_accuracy.py
	$(BIN)/python bench/model_accuracy.py --model accurate
	$(BIN)/python bench/predict_speed.py
	$(BIN)/python bench/serve_load.py
	$(BIN)/python bench/real_world.py
	$(BIN)/python bench/train_speed.py

clean:
	rm -rf $(VENV) runs build *.egg-info src/*.egg-info
