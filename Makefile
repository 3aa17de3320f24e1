# medialens: `make run` (install everything, start the service) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 3000
HOST ?= 127.0.0.1
# SAM CLI (make lint: sam validate --lint) in a venv of its own: it pins boto3/botocore older
# than moto's and ours. Validating needs a region, no account: no credentials, network or telemetry.
SAM_VENV := .tools/sam
SAM_CLI_VERSION := 1.170.0
SAM_STAMP := $(SAM_VENV)/.installed-$(SAM_CLI_VERSION)
SAM_OFFLINE := env -u AWS_PROFILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
	-u AWS_ENDPOINT_URL AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null SAM_CLI_TELEMETRY=0

.PHONY: setup run test lint image-check bench clean system-packages test-packages

## setup: Python packages into .venv, npm tools, model files (cached; a second run is fast)
setup: system-packages $(VENV)/.installed node_modules/.installed
	$(PYTHON) models/fetch_models.py

# Debian packages, installing only what is missing (root, or sudo, the first time).
# setup: apt-packages.txt (run time) plus node/npm (ASL validator, model conversion);
# test: chromium + chromedriver too (the HTML report's browser test), which `make run` never needs.
define apt-install
	@wanted="$(1)"; missing=""; \
	for pkg in $$wanted; do \
	  case $$pkg in nodejs) command -v node >/dev/null && continue;; npm) command -v npm >/dev/null && continue;; esac; \
	  dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q "ok installed" || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then echo "apt-get install$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  ($$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing) || \
	  { echo "could not install:$$missing"; exit 1; }; fi
endef

system-packages:
	$(call apt-install,$$(grep -v '^#' apt-packages.txt | xargs) nodejs npm)

test-packages:
	$(call apt-install,chromium chromium-driver)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## run: install what is missing, then serve the API on http://$(HOST):$(PORT)
run: setup
	$(BIN)/medialens serve --host $(HOST) --port $(PORT)

## test: the whole suite (unit, static checks of template and ASL, integration through HTTP)
test: test-packages
	$(BIN)/pytest -q

## lint: ruff, the template (cfn-lint; SAM's own transform and lint), every state machine
lint: $(SAM_STAMP)
	$(BIN)/ruff check layers functions tests models benchmarks scripts
	$(BIN)/cfn-lint template.yaml
	$(SAM_OFFLINE) $(SAM_VENV)/bin/sam validate --lint --region us-east-1 --template-file template.yaml
	for asl in statemachine/*.asl.json; do npx --no-install asl-validator --json-path $$asl --no-arn-check || exit 1; done

$(SAM_STAMP):
	$(PYTHON) -m venv $(SAM_VENV)
	echo '*' > $(dir $(SAM_VENV)).gitignore
	$(SAM_VENV)/bin/pip install -q --upgrade pip
	$(SAM_VENV)/bin/pip install -q "aws-sam-cli==$(SAM_CLI_VERSION)"
	touch $@

## image-check: the analysis Dockerfile's build steps (scripts/image/) on this machine, as CI runs them
image-check:
	scripts/image/check.sh

## bench: speed and accuracy figures on ../shared/dev-corpus (images, then video shots
## side by side with PySceneDetect and TransNetV2, whose model only the benchmark needs)
bench:
	$(BIN)/python -m benchmarks.image_bench
	$(BIN)/python -m benchmarks.batch_bench
	$(PYTHON) models/fetch_models.py --only transnetv2
	$(BIN)/python -m benchmarks.video_shots
	$(BIN)/python -m benchmarks.video_bench

clean:
	rm -rf $(VENV) node_modules .pytest_cache .tools
