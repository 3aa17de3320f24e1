"""Static checks of the workflow and the template: the rules of the house, plus the two
validators (asl-validator from npm, cfn-lint)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from medialens.local.template import Template

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = Template.load(REPO / "template.yaml")
MACHINES = TEMPLATE.of_type("AWS::Serverless::StateMachine")
TRANSIENT = {"TransientError", "Lambda.ServiceException", "Lambda.TooManyRequestsException"}


def _states(definition: dict):
    """Every state, including those inside Map/Parallel, with its name."""
    for name, state in definition["States"].items():
        yield name, state
        for inner in [state.get("ItemProcessor") or state.get("Iterator")] + state.get("Branches", []):
            if inner:
                yield from _states(inner)


def _asl(logical_id: str) -> tuple[str, dict]:
    uri = MACHINES[logical_id]["Properties"]["DefinitionUri"]
    text = (REPO / uri).read_text()
    return text, json.loads(text)


@pytest.mark.parametrize("logical_id", sorted(MACHINES))
def test_every_task_retries_transient_errors_and_catches_the_rest(logical_id):
    _, definition = _asl(logical_id)
    tasks = [(n, s) for n, s in _states(definition) if s["Type"] == "Task"]
    assert tasks
    for name, state in tasks:
        retried = {e for rule in state.get("Retry", []) for e in rule["ErrorEquals"]}
        assert retried, f"{name} has no Retry"
        assert "States.ALL" not in retried, f"{name} retries every error, not only transient ones"
        assert retried & TRANSIENT, f"{name} retries no transient error"
        caught = [e for rule in state.get("Catch", []) for e in rule["ErrorEquals"]]
        assert "States.ALL" in caught, f"{name} has no Catch for States.ALL"
        assert "TimeoutSeconds" in state or "TimeoutSecondsPath" in state, f"{name} has no timeout"


@pytest.mark.parametrize("logical_id", sorted(MACHINES))
def test_every_substitution_is_defined_and_used(logical_id):
    text, _ = _asl(logical_id)
    used = set(re.findall(r"\$\{([^}]+)\}", text))
    defined = set(MACHINES[logical_id]["Properties"].get("DefinitionSubstitutions", {}))
    assert used == defined, f"missing: {used - defined}, unused: {defined - used}"
    TEMPLATE.state_machine_definition(logical_id)  # and they resolve


@pytest.mark.parametrize("logical_id", sorted(MACHINES))
def test_asl_validator_accepts_the_definition(logical_id):
    validator = REPO / "node_modules" / ".bin" / "asl-validator"
    assert validator.exists(), "npm tools missing: run `make setup`"
    uri = MACHINES[logical_id]["Properties"]["DefinitionUri"]
    run = subprocess.run([str(validator), "--json-path", str(REPO / uri), "--no-arn-check"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_cfn_lint_accepts_the_template():
    cfn_lint = shutil.which("cfn-lint", path=str(REPO / ".venv" / "bin")) or shutil.which("cfn-lint")
    assert cfn_lint, "cfn-lint missing: run `make setup`"
    run = subprocess.run([cfn_lint, "--regions", "us-east-1", "--", str(REPO / "template.yaml")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("logical_id", sorted(TEMPLATE.of_type("AWS::Serverless::Function")))
def test_each_function_entry_point_exists_and_agrees_with_its_dockerfile(logical_id):
    code_dir, module, function = TEMPLATE.function_entry(logical_id)
    source = (code_dir / f"{module}.py").read_text()
    assert re.search(rf"^def {function}\(event, context\)", source, re.M), f"{module}.{function} missing"
    assert module.endswith("_handler"), "handler modules get unique names (house rule)"
    props = TEMPLATE.function_properties(logical_id)
    if props.get("PackageType") == "Image":
        dockerfile_path = REPO / TEMPLATE.resources[logical_id]["Metadata"]["Dockerfile"]
        dockerfile = dockerfile_path.read_text()
        copied = re.search(r"^COPY (\S+_handler\.py) \$\{LAMBDA_TASK_ROOT\}/", dockerfile, re.M)
        assert copied and Path(REPO / copied.group(1)).parent == dockerfile_path.parent
        assert code_dir == dockerfile_path.parent  # the Command's module is one the image copies
        default = re.search(r'^CMD \["([\w.]+)"\]', dockerfile, re.M).group(1)
        assert (REPO / dockerfile_path.parent / f"{default.rpartition('.')[0]}.py").is_file()


def test_api_routes_are_served_by_the_api_function():
    routes = TEMPLATE.api_routes()
    assert ("POST", "/v1/images", "ApiFunction") in routes
    assert ("GET", "/v1/images/{job_id}", "ApiFunction") in routes
    assert ("GET", "/v1/latency", "ApiFunction") in routes
