"""Static checks of what `sam build && sam deploy` ships (docs/deploy.md), offline.

Entry points: every function's handler, the analysis Dockerfile's CMD/COPY and the
template's Handler / ImageConfig.Command agree. Image build: every RUN step of the
Dockerfile is a script that CI runs too (scripts/image/check.sh). Template: the
production settings the deployment relies on (limits as parameters mapped to existing
settings, timeouts that fit their callers, reserved concurrency, dead letters, tracing,
least-privilege policy templates, API keys, outputs) and metrics that stay quiet outside
Lambda. cfn-lint and `sam validate --lint` run in `make lint`.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from medialens.local.template import Template
from medialens.settings import DEFAULT_CRITICAL_TAGS, Settings

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = Template.load(REPO / "template.yaml")
RESOURCES = TEMPLATE.resources
FUNCTIONS = TEMPLATE.of_type("AWS::Serverless::Function")
IMAGE_FUNCTIONS = {k for k in FUNCTIONS if TEMPLATE.function_properties(k).get("PackageType") == "Image"}
ZIP_FUNCTIONS = set(FUNCTIONS) - IMAGE_FUNCTIONS
API_GATEWAY_TIMEOUT = 29


def _dockerfile(logical_id: str) -> tuple[Path, str]:
    path = REPO / FUNCTIONS[logical_id]["Metadata"]["Dockerfile"]
    return path, path.read_text()


def _instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in dockerfile.splitlines()
                                             if not line.lstrip().startswith("#")))
    return [(m.group(1).upper(), m.group(2).strip()) for m in re.finditer(r"^(\w+)\s+(.*)$", joined, re.M)]


def _handler_source(code_dir: Path, module: str) -> str:
    return (code_dir / f"{module}.py").read_text()


# ---- entry points -------------------------------------------------------------------------------


@pytest.mark.parametrize("logical_id", sorted(IMAGE_FUNCTIONS))
def test_image_function_command_is_a_handler_the_dockerfile_copies(logical_id):
    props = FUNCTIONS[logical_id]["Properties"]
    assert not {"Handler", "Runtime", "CodeUri", "Layers"} & set(props), "image functions take none of these"
    metadata = FUNCTIONS[logical_id]["Metadata"]
    assert metadata["DockerContext"] == "." and metadata.get("DockerTag")
    command = props["ImageConfig"]["Command"]
    assert len(command) == 1 and re.fullmatch(r"\w+_handler\.handler", command[0]), command
    module = command[0].rpartition(".")[0]
    path, dockerfile = _dockerfile(logical_id)
    handler_file = (path.parent / f"{module}.py").relative_to(REPO).as_posix()
    copies = [args.split() for op, args in _instructions(dockerfile) if op == "COPY" and "LAMBDA_TASK_ROOT" in args]
    assert any(fnmatch.fnmatch(handler_file, src) for *sources, _dest in copies for src in sources), \
        f"{path.name} does not copy {handler_file} into the task root"
    assert re.search(r"^def handler\(event, context\):", _handler_source(path.parent, module), re.M)


@pytest.mark.parametrize("logical_id", sorted(ZIP_FUNCTIONS))
def test_zip_function_handler_exists_with_the_layer(logical_id):
    props = TEMPLATE.function_properties(logical_id)
    assert props["Runtime"] == "python3.12"
    assert {"Ref": "MedialensLayer"} in props["Layers"]
    code_dir, module, function = TEMPLATE.function_entry(logical_id)
    assert function == "handler" and module.endswith("_handler")
    assert re.search(r"^def handler\(event, context\):", _handler_source(code_dir, module), re.M)


def test_dockerfile_default_cmd_is_one_of_the_templates_commands():
    commands = {FUNCTIONS[k]["Properties"]["ImageConfig"]["Command"][0] for k in IMAGE_FUNCTIONS}
    dockerfiles = {FUNCTIONS[k]["Metadata"]["Dockerfile"] for k in IMAGE_FUNCTIONS}
    for name in dockerfiles:
        steps = _instructions((REPO / name).read_text())
        cmd = [json.loads(args) for op, args in steps if op == "CMD"]
        entrypoint = [json.loads(args) for op, args in steps if op == "ENTRYPOINT"]
        assert len(cmd) == 1 and cmd[0][0] in commands, f"{name}: CMD {cmd} is no function's command"
        assert entrypoint == [["/usr/local/bin/python", "-m", "awslambdaric"]]


def test_every_handler_file_is_deployed_and_named_uniquely():
    deployed = set()
    for logical_id in FUNCTIONS:
        code_dir, module, _ = TEMPLATE.function_entry(logical_id)
        deployed.add((code_dir / f"{module}.py").resolve())
    on_disk = {p.resolve() for p in (REPO / "functions").glob("*/*_handler.py")}
    assert on_disk == deployed, f"not in template.yaml: {sorted(map(str, on_disk - deployed))}"
    names = [p.name for p in on_disk]
    assert len(names) == len(set(names)), "handler modules get unique names (house rule)"


# ---- the image build: RUN steps are scripts CI runs ------------------------------------------------


def test_every_dockerfile_run_step_is_a_script_that_ci_runs():
    check = (REPO / "scripts/image/check.sh").read_text()
    assert "make image-check" in (REPO / ".ci/run").read_text()
    assert re.search(r"^image-check:\n\tscripts/image/check\.sh$", (REPO / "Makefile").read_text(), re.M)
    for name in {FUNCTIONS[k]["Metadata"]["Dockerfile"] for k in IMAGE_FUNCTIONS}:
        runs = [args for op, args in _instructions((REPO / name).read_text()) if op == "RUN"]
        assert runs
        for run in runs:
            script = re.match(r"^(?:python3? )?(scripts/image/[\w.-]+)", run)
            assert script, f"{name}: RUN {run!r} is not a scripts/image/ step (CI could not run it)"
            path = REPO / script.group(1)
            assert path.is_file(), path
            if path.suffix == ".sh":
                assert os.access(path, os.X_OK), f"{path} is not executable"
            assert script.group(1) in check, f"scripts/image/check.sh does not run {script.group(1)}"


def test_dockerfile_bases_take_manylinux_2_28_wheels_and_bake_the_models():
    path = REPO / "functions/analysis/Dockerfile"
    steps = _instructions(path.read_text())
    bases = [args.split()[0] for op, args in steps if op == "FROM"]
    # Debian bookworm: glibc 2.36 (manylinux_2_28 wheels install; Debian's Tesseract too)
    assert all(re.fullmatch(r"python:3\.1[1-3]-slim-bookworm", b) for b in bases), bases
    assert bases[-1] == "python:3.12-slim-bookworm"  # the interpreter python-packages.sh --check resolves for
    assert "IMAGE_PYTHON=3.12" in (REPO / "scripts/image/python-packages.sh").read_text()
    env = " ".join(args for op, args in steps if op == "ENV")
    assert "MEDIALENS_MODEL_DIR=/opt/models" in env
    assert ("COPY", "--from=models /opt/models /opt/models") in steps


# ---- the template's production settings ------------------------------------------------------------


def _asl_task_timeouts() -> dict[str, list[int]]:
    """Function logical id -> TimeoutSeconds of every ASL Task that invokes it."""
    found: dict[str, list[int]] = {}

    def walk(states: dict, substitutions: dict) -> None:
        for state in states.values():
            if state["Type"] == "Task":
                name = re.fullmatch(r"\$\{(\w+)\}", state["Resource"]).group(1)
                found.setdefault(substitutions[name], []).append(state["TimeoutSeconds"])
            for inner in [state.get("ItemProcessor") or state.get("Iterator")] + state.get("Branches", []):
                if inner:
                    walk(inner["States"], substitutions)

    for machine in TEMPLATE.of_type("AWS::Serverless::StateMachine").values():
        props = machine["Properties"]
        subs = {k: v["Fn::GetAtt"][0] for k, v in props["DefinitionSubstitutions"].items()}
        walk(json.loads((REPO / props["DefinitionUri"]).read_text())["States"], subs)
    return found


def test_timeouts_fit_their_callers():
    props = {k: TEMPLATE.function_properties(k) for k in FUNCTIONS}
    for logical_id, timeouts in _asl_task_timeouts().items():
        assert props[logical_id]["Timeout"] <= min(timeouts), \
            f"{logical_id} outlives its Task's TimeoutSeconds {min(timeouts)}: the state would time out first"
    for logical_id, p in props.items():
        assert 1 <= p["Timeout"] <= 900
        if any(e["Type"] == "Api" for e in p.get("Events", {}).values()):
            assert p["Timeout"] <= API_GATEWAY_TIMEOUT, f"{logical_id} is behind API Gateway (29 s)"
    # invoked synchronously from the API (allowlist enrolment, POST /v1/videos probe)
    for callee in ("FaceEnrolFunction", "ProbeVideoFunction"):
        assert props[callee]["Timeout"] < props["ApiFunction"]["Timeout"]


def test_functions_that_load_models_get_a_full_vcpu():
    for logical_id in IMAGE_FUNCTIONS:
        code_dir, module, _ = TEMPLATE.function_entry(logical_id)
        if re.search(r"^analys[ei]rs?\(", _handler_source(code_dir, module), re.M):
            assert TEMPLATE.function_properties(logical_id)["MemorySize"] >= 1769, logical_id


@pytest.mark.parametrize("logical_id", ["AnalyzeImagesFunction", "AnalyzeVideoSegmentFunction"])
def test_analysis_workers_have_parameterised_reserved_concurrency(logical_id):
    value = FUNCTIONS[logical_id]["Properties"]["ReservedConcurrentExecutions"]
    condition, reserved, otherwise = value["Fn::If"]
    assert otherwise == {"Ref": "AWS::NoValue"}  # 0 = no reservation, for accounts with a small quota
    assert reserved["Ref"] in TEMPLATE.body["Parameters"]
    assert condition in TEMPLATE.body["Conditions"]


def _async_invoked() -> set[str]:
    """Functions S3 notifications or schedules invoke (asynchronously), and the dispatcher (woken async)."""
    names = {TEMPLATE.physical_name(k): k for k in FUNCTIONS}
    found = {"DispatchFunction"}
    for bucket in TEMPLATE.of_type("AWS::S3::Bucket").values():
        for config in TEMPLATE.resolve(bucket["Properties"].get("NotificationConfiguration", {})).get(
                "LambdaConfigurations", []):
            found.add(names[config["Function"].rsplit(":", 1)[1]])
    found |= {k for k, _ in TEMPLATE.schedules()}
    return found


def test_asynchronous_invocations_have_a_dead_letter_destination():
    async_functions = _async_invoked()
    assert {"IngestFunction", "DispatchFunction"} <= async_functions
    for logical_id in async_functions:
        config = FUNCTIONS[logical_id]["Properties"]["EventInvokeConfig"]
        on_failure = config["DestinationConfig"]["OnFailure"]
        assert on_failure["Type"] == "SQS"
        queue = on_failure["Destination"]["Fn::GetAtt"][0]
        assert RESOURCES[queue]["Type"] == "AWS::SQS::Queue"
        assert RESOURCES[queue]["Properties"]["MessageRetentionPeriod"] == 1209600  # 14 days to look
        assert 0 <= config["MaximumRetryAttempts"] <= 2


def test_tracing_everywhere():
    assert TEMPLATE.body["Globals"]["Function"]["Tracing"] == "Active"
    for api in TEMPLATE.of_type("AWS::Serverless::Api").values():
        assert api["Properties"]["TracingEnabled"] is True
    for machine in TEMPLATE.of_type("AWS::Serverless::StateMachine").values():
        assert machine["Properties"]["Tracing"] == {"Enabled": True}


def test_environment_names_settings_that_exist_and_parameters_are_used():
    fields = set(Settings.model_fields)
    text = (REPO / "template.yaml").read_text()
    for logical_id in FUNCTIONS:
        for name in TEMPLATE.function_properties(logical_id)["Environment"]["Variables"]:
            if name.startswith("MEDIALENS_"):
                assert name.removeprefix("MEDIALENS_").lower() in fields, f"{name}: no such setting"
            else:
                assert name.startswith("POWERTOOLS_"), name
    for name in TEMPLATE.body["Parameters"]:
        assert re.search(rf"(!Ref {name}\b|\$\{{{name}\}}|Ref: {name}\b)", text), f"parameter {name} unused"


def test_limits_are_parameters_with_the_settings_defaults():
    env = TEMPLATE.body["Globals"]["Function"]["Environment"]["Variables"]
    params = TEMPLATE.body["Parameters"]
    defaults = Settings.model_fields
    for parameter, setting in [("MaxImagesPerBatch", "max_images_per_batch"), ("MaxBodyBytes", "max_body_bytes"),
                               ("MaxImagePixels", "max_image_pixels"), ("MaxVideoSeconds", "max_video_seconds"),
                               ("MaxUploadBytes", "max_upload_bytes"), ("ImageChunkSize", "image_chunk_size"),
                               ("VideoSegmentSeconds", "video_segment_seconds"),
                               ("AllowlistMaxDistance", "allowlist_max_distance")]:
        assert env[f"MEDIALENS_{setting.upper()}"] == {"Ref": parameter}
        assert params[parameter]["Default"] == defaults[setting].default, parameter
    assert env["MEDIALENS_CRITICAL_TAGS"] == {"Ref": "CriticalTags"}
    assert params["CriticalTags"]["Default"].split(",") == list(DEFAULT_CRITICAL_TAGS)
    assert re.fullmatch(params["CriticalTags"]["AllowedPattern"], params["CriticalTags"]["Default"])


def test_policies_are_sam_policy_templates_scoped_to_our_resources():
    for logical_id, resource in {**FUNCTIONS, **TEMPLATE.of_type("AWS::Serverless::StateMachine")}.items():
        for policy in resource["Properties"].get("Policies", []):
            assert isinstance(policy, dict) and len(policy) == 1, f"{logical_id}: {policy} (managed or inline)"
            (name, scope), = policy.items()
            if name == "Statement":  # an action no SAM template covers: named actions on named resources
                for statement in scope:
                    assert "*" not in str(statement["Action"]), f"{logical_id}: wildcard action {statement}"
                    assert all(":execution:" in str(r) or ":stateMachine:" in str(r) for r in statement["Resource"]), \
                        f"{logical_id}: unscoped resource in {statement}"
                continue
            assert name.endswith("Policy") and scope, f"{logical_id}: {name} is not a scoped policy template"


def test_api_keys_and_usage_plan():
    auth = RESOURCES["MedialensApi"]["Properties"]["Auth"]
    assert auth["ApiKeyRequired"] is True and auth["UsagePlan"]["CreateUsagePlan"] == "PER_API"
    open_routes = {(p["Method"].upper(), p["Path"]) for f in FUNCTIONS.values()
                   for e in f["Properties"].get("Events", {}).values() if e["Type"] == "Api"
                   for p in [e["Properties"]] if p.get("Auth", {}).get("ApiKeyRequired") is False}
    assert open_routes == {("GET", "/v1/health"), ("GET", "/v1/openapi.json"), ("GET", "/openapi.json"),
                           ("GET", "/docs")}


def test_outputs_name_the_api_the_key_and_the_bucket():
    outputs = TEMPLATE.body["Outputs"]
    assert {"ApiUrl", "ApiKeyId", "UsagePlanId", "MediaBucketName", "AsyncFailureQueueUrl"} <= set(outputs)
    assert "${MedialensApi}.execute-api" in outputs["ApiUrl"]["Value"]["Fn::Sub"]


# ---- log retention and alarms ----------------------------------------------------------------------


def test_every_function_has_a_log_group_with_retention():
    groups = {r["Properties"]["LogGroupName"]["Fn::Sub"]: r["Properties"]["RetentionInDays"]
              for r in RESOURCES.values() if r["Type"] == "AWS::Logs::LogGroup"}
    assert set(groups) == {f"/aws/lambda/${{{k}}}" for k in FUNCTIONS}
    assert all(days == {"Ref": "LogRetentionDays"} for days in groups.values())


# ---- metrics: EMF inside Lambda, silence outside -------------------------------------------------


METRICS_PROBE = """
from medialens.local.lambdas import LambdaContext
from medialens.observability import count, entry_point
from aws_lambda_powertools import Logger

@entry_point(Logger(service="probe"))
def handler(event, context):
    count("ImagesAnalysed", 3)
    return "ok"

for _ in range(2):
    assert handler({"job_id": "job_1"}, LambdaContext("probe")) == "ok"
"""


@pytest.mark.parametrize("in_lambda", [True, False])
def test_metrics_are_emf_inside_lambda_and_silent_outside(in_lambda):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_LAMBDA_", "POWERTOOLS_"))}
    env |= {"POWERTOOLS_METRICS_NAMESPACE": "medialens", "POWERTOOLS_SERVICE_NAME": "medialens-test",
            "POWERTOOLS_LOG_LEVEL": "WARNING"}
    if in_lambda:
        env["AWS_LAMBDA_FUNCTION_NAME"] = "probe"
    run = subprocess.run([sys.executable, "-c", METRICS_PROBE], capture_output=True, text=True, env=env,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    emf = [r for r in records if "_aws" in r]
    if not in_lambda:
        assert emf == []
        return
    assert len(emf) == 2  # one record per invocation, nothing carried over
    for record in emf:
        assert record["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "medialens"
        assert record["ImagesAnalysed"] == [3.0] and record["service"] == "medialens-test"
