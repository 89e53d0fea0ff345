# One command to set up and run the app, one to run the tests (see README).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test bench reader
run: $(VENV)/.ready
	$(PY) app.py

test: $(VENV)/.dev-ready /usr/bin/chromium
	$(PY) -m pytest

bench: $(VENV)/.dev-ready
	$(PY) benchmarks/seed_eval.py
	$(PY) benchmarks/cmrc.py

$(VENV)/.ready: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e .
	touch $@

# torch is pinned to the CPU build before sentence-transformers can pull a CUDA one.
$(VENV)/.dev-ready: $(VENV)/.ready
	$(VENV)/bin/pip install -q torch==2.13.0
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

# Browser tests drive Debian's Chromium through Playwright (its own browser download fails here);
# the CJK and emoji fonts make its screenshots show Chinese and the 👍/👎 feedback buttons.
/usr/bin/chromium:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji

# Retrain the shipped reader from ../shared/data (hours on 2 cores; each run resumes from its
# last.pt), then calibrate its no-answer threshold: see docs/reader.md. Run 2 goes on from run 1;
# the shipped weights are the average of the two.
reader: $(VENV)/.dev-ready
	$(PY) -m rag.reading.train --data ../shared/data --out training/run --epochs 0.75 --eval-every 390 --eval-questions 150
	$(PY) -m rag.reading.train --data ../shared/data --out training/run2 --init training/run/reader.npz --first-epoch 1 \
		--epochs 0.6 --lr 5e-5 --warmup 0.05 --eval-every 312 --eval-questions 300 --export-last
	$(PY) -m rag.reading.average training/run/reader.npz training/run2/reader.npz --out training/avg12/reader.npz
	$(PY) -m rag.reading.train --data ../shared/data --out training/run3 --init training/avg12/reader.npz --first-epoch 2 \
		--epochs 0.5 --lr 3e-5 --warmup 0.05 --eval-every 390 --eval-questions 300 --export-last
	cp training/run3/reader.npz training/run3/reader.json rag/data/
	$(PY) benchmarks/seed_eval.py --questions eval/dev_questions.jsonl eval/seed_questions.jsonl --modes hybrid --sweep
