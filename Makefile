# medialens: `make run` (install everything, start the service) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 3000
HOST ?= 127.0.0.1
# Every Python environment installs a lock file frozen (scripts/venv.sh; locks/README.md):
# .venv from locks/medialens.txt, the tools below from their own. uv, the lock tool, comes
# from locks/uv.txt through pip --require-hashes.
UV_VENV := .tools/uv
UV := $(UV_VENV)/bin/uv
export UV := $(abspath $(UV))
export UV_PYTHON_DOWNLOADS := never
# SAM CLI (make lint: sam validate --lint) in a venv of its own: it pins boto3/botocore older
# than moto's and ours. Validating needs a region, no account: no credentials, network or telemetry.
SAM_VENV := .tools/sam
# PySceneDetect, the video benchmark's peer: it needs opencv-python, which must not meet
# .venv's opencv-python-headless (both ship cv2/).
PEERS_VENV := .tools/bench-peers
# RapidOCR, the OCR benchmark's peer: it needs opencv-python-headless, so not beside PySceneDetect.
OCR_PEERS_VENV := .tools/ocr-peers
SAM_OFFLINE := env -u AWS_PROFILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
	-u AWS_ENDPOINT_URL AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null SAM_CLI_TELEMETRY=0

.PHONY: setup run test lint image-check bench clean system-packages test-packages lock lock-check

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

$(UV): locks/uv.txt
	$(PYTHON) -m venv $(UV_VENV)
	echo '*' > $(dir $(UV_VENV)).gitignore
	$(UV_VENV)/bin/pip install -q --no-deps --require-hashes -r locks/uv.txt
	touch $@

$(VENV)/.installed: locks/medialens.txt pyproject.toml $(UV)
	PYTHON=$(PYTHON) scripts/venv.sh $(VENV) locks/medialens.txt --project
	touch $@

## lock: recompile every lock file after editing pyproject.toml, locks/*.in or models/*.in
lock: $(UV)
	scripts/lock.sh

## lock-check: fail if a lock is not what its inputs give, or .venv is not what its lock says
lock-check: $(UV)
	scripts/lock.sh --check
	scripts/venv.sh --check $(VENV) locks/medialens.txt

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
lint: $(SAM_VENV)/.installed
	$(BIN)/ruff check layers functions tests models benchmarks scripts
	$(BIN)/cfn-lint template.yaml
	$(SAM_OFFLINE) $(SAM_VENV)/bin/sam validate --lint --region us-east-1 --template-file template.yaml
	for asl in statemachine/*.asl.json; do npx --no-install asl-validator --json-path $$asl --no-arn-check || exit 1; done

$(SAM_VENV)/.installed: locks/sam.txt $(UV)
	PYTHON=$(PYTHON) scripts/venv.sh $(SAM_VENV) locks/sam.txt
	touch $@

$(PEERS_VENV)/.installed: locks/bench-peers.txt $(UV)
	PYTHON=$(PYTHON) scripts/venv.sh $(PEERS_VENV) locks/bench-peers.txt
	touch $@

$(OCR_PEERS_VENV)/.installed: locks/ocr-peers.txt $(UV)
	PYTHON=$(PYTHON) scripts/venv.sh $(OCR_PEERS_VENV) locks/ocr-peers.txt
	touch $@

## image-check: the analysis Dockerfile's build steps (scripts/image/) on this machine, as CI runs them
image-check:
	scripts/image/check.sh

## bench: speed and accuracy figures on ../shared/dev-corpus (images, then video shots
## side by side with PySceneDetect and TransNetV2, whose model only the benchmark needs),
## then multilingual OCR (held-out split) beside plain Tesseract and RapidOCR, and the line
## recognisers per script (PP-OCRv6, Tesseract); held-out photos (benchmarks/photo_media.py):
## image analysis through the local service and tags, each beside the baseline revision
bench: $(PEERS_VENV)/.installed $(OCR_PEERS_VENV)/.installed
	scripts/image/apt-install.sh benchmarks/apt-packages-bench.txt
	$(BIN)/python -m benchmarks.image_bench
	$(BIN)/python -m benchmarks.batch_bench
	$(BIN)/python -m benchmarks.image_service
	$(BIN)/python -m benchmarks.tags_heldout
	$(PYTHON) models/fetch_models.py --only transnetv2
	$(BIN)/python -m benchmarks.video_shots
	$(BIN)/python -m benchmarks.video_bench
	$(BIN)/python -m benchmarks.ocr_multilingual --split test
	$(BIN)/python -m benchmarks.ocr_recognisers --split test

clean:
	rm -rf $(VENV) node_modules .pytest_cache .tools
