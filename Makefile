# AGOrA Examens — make run (application + données de démonstration), make test (suite complète).
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.12 (Django 6.1) : celui de pyenv désigné par .python-version, sinon python3.12 du PATH.
PYTHON_SYS ?= $(shell pyenv which python 2>/dev/null || command -v python3.12 || ls /root/.pyenv/versions/3.12*/bin/python 2>/dev/null | head -1 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
PORT ?= 8000
# Deux rôles (scripts/roles.sql, créés par make db) : les migrations en propriétaire, l'application sans rien posséder.
URL_PROPRIETAIRE ?= postgresql://agora_proprietaire@127.0.0.1:55432/agora
URL_APP ?= postgresql://agora_app@127.0.0.1:55432/agora
WORKERS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: help systeme venv db db-stop migrer donnees run worker test lint bench clean

help:
	@echo "make run      installe tout, prépare la base et sert l'application sur http://127.0.0.1:$(PORT)"
	@echo "make test     installe tout et lance les contrôles puis la suite de tests"
	@echo "make db / make db-stop   démarre / arrête le PostgreSQL du projet (127.0.0.1:55432)"

systeme:
	@bash scripts/installer_systeme.sh

$(VENV)/.installe: pyproject.toml
	@$(PYTHON_SYS) -c 'import sys; assert sys.version_info >= (3, 12), "Python 3.12 requis (voir .python-version)"'
	@test -x $(PY) || $(PYTHON_SYS) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true
	@$(PY) -c 'import django, weasyprint, playwright' 
	@touch $@

venv: $(VENV)/.installe

db: systeme
	@bash scripts/pg.sh start
	@psql -h 127.0.0.1 -p 55432 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='agora'" | grep -q 1 \
	  || psql -h 127.0.0.1 -p 55432 -U postgres -qc "CREATE DATABASE agora"
	@psql -h 127.0.0.1 -p 55432 -U postgres -d agora -q -v ON_ERROR_STOP=1 -f scripts/roles.sql

db-stop:
	@bash scripts/pg.sh stop

migrer: venv db
	@DATABASE_URL=$(URL_PROPRIETAIRE) $(MANAGE) migrate --noinput -v 0

donnees: migrer
	@DATABASE_URL=$(URL_APP) $(MANAGE) charger_referentiel
	@DATABASE_URL=$(URL_APP) $(MANAGE) charger_demo

run: donnees
	@echo "Workers PDF : $(WORKERS) processus procrastinate."
	@trap 'kill 0' EXIT; \
	export DATABASE_URL=$(URL_APP); \
	for i in $$(seq $(WORKERS)); do $(MANAGE) procrastinate worker >> .local/worker-$$i.log 2>&1 & done; \
	$(MANAGE) runserver 127.0.0.1:$(PORT)

worker: migrer
	DATABASE_URL=$(URL_APP) $(MANAGE) procrastinate worker

lint: venv
	$(VENV)/bin/ruff check .
	$(MANAGE) makemigrations --check --dry-run -v 0

test: venv db lint
	$(VENV)/bin/pytest

bench: venv db
	@$(PY) -m pip install -q --disable-pip-version-check -e '.[dev,bench]' 2>&1 | grep -v "^WARNING: Location" || true
	$(PY) bench/lancer.py

clean:
	rm -rf $(VENV) .local
