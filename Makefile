# fusion_bench: the two commands of docs/product.md, plus set-up.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed

.PHONY: setup test benchmarks reproduce-table clean-venv

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	# torch first, pinned: any other version pulls a multi-GB CUDA build.
	$(PIP) install torch==2.13.0

$(STAMP): $(PY) pyproject.toml
	$(PIP) install -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -n 2 -q

reproduce-table: $(STAMP)
	$(VENV)/bin/fusion-bench reproduce --out leaderboard

benchmarks: $(STAMP)
	$(PY) benchmarks/metrics.py
	$(PY) benchmarks/mgdn.py
	$(PY) benchmarks/pair_scoring.py

clean-venv:
	rm -rf $(VENV)
