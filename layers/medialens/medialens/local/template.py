"""Read template.yaml (CloudFormation/SAM YAML with short-form intrinsics) and resolve
the intrinsics we use (Ref, GetAtt, Sub, Join) against local physical names and ARNs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
STACK_NAME = "medialens-local"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK_NAME}/6f1c0d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f"


class _CfnLoader(yaml.SafeLoader):
    pass


def _construct(tag: str):
    name = "Ref" if tag == "Ref" else f"Fn::{tag}"

    def build(loader: yaml.Loader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    return build


for _tag in ("Ref", "GetAtt", "Sub", "Join", "If", "Equals", "Not", "And", "Or", "Select",
             "Split", "FindInMap", "GetAZs", "ImportValue", "Base64", "Condition"):
    _CfnLoader.add_constructor(f"!{_tag}", _construct(_tag))


@dataclass
class Template:
    path: Path
    body: dict[str, Any]
    parameter_overrides: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, parameter_overrides: dict[str, str] | None = None) -> Template:
        body = yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 (SafeLoader subclass)
        return cls(path, body, dict(parameter_overrides or {}))

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.body["Resources"]

    def of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] in types}

    def parameter(self, name: str) -> str:
        if name in self.parameter_overrides:
            return self.parameter_overrides[name]
        return str(self.body["Parameters"][name]["Default"])

    def function_properties(self, logical_id: str) -> dict[str, Any]:
        """A function's properties with the template's Globals merged in."""
        globals_ = self.body.get("Globals", {}).get("Function", {})
        own = self.resources[logical_id]["Properties"]
        merged = {**globals_, **own}
        env = {**globals_.get("Environment", {}).get("Variables", {}),
               **own.get("Environment", {}).get("Variables", {})}
        merged["Environment"] = {"Variables": env}
        return merged

    # ---- names and ARNs of the local resources ----
    _NAME_PROPERTIES = {"AWS::S3::Bucket": "BucketName", "AWS::Serverless::Function": "FunctionName",
                        "AWS::Serverless::StateMachine": "Name", "AWS::DynamoDB::Table": "TableName",
                        "AWS::SQS::Queue": "QueueName"}

    def physical_name(self, logical_id: str) -> str:
        """The template's explicit name if it gives one, else the logical id (lowercased for buckets)."""
        kind = self.resources[logical_id]["Type"]
        explicit = self.resources[logical_id].get("Properties", {}).get(self._NAME_PROPERTIES.get(kind, ""))
        if explicit is not None:
            return str(self.resolve(explicit))
        fifo = str(self.resources[logical_id].get("Properties", {}).get("FifoQueue")).lower() == "true"
        if kind == "AWS::SQS::Queue" and fifo:
            return f"{logical_id}.fifo"  # CloudFormation's generated FIFO names end so too
        return f"medialens-{logical_id.lower()}" if kind == "AWS::S3::Bucket" else logical_id

    def arn(self, logical_id: str) -> str:
        kind, name = self.resources[logical_id]["Type"], self.physical_name(logical_id)
        return {
            "AWS::Serverless::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
            "AWS::Serverless::StateMachine": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}",
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
            "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}",
        }[kind]

    def _ref(self, name: str) -> str:
        pseudo = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::URLSuffix": "amazonaws.com",
                  "AWS::StackName": STACK_NAME, "AWS::Partition": "aws", "AWS::StackId": STACK_ID}
        if name in pseudo:
            return pseudo[name]
        if name in self.body.get("Parameters", {}):
            return self.parameter(name)
        kind = self.resources[name]["Type"]
        if kind in ("AWS::Serverless::StateMachine", "AWS::SQS::Queue"):
            return self.arn(name) if kind.endswith("StateMachine") else self.queue_url(name)
        return self.physical_name(name)

    def queue_url(self, logical_id: str) -> str:
        return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{self.physical_name(logical_id)}"

    def _get_att(self, logical_id: str, attribute: str) -> str:
        if attribute == "Arn":
            return self.arn(logical_id)
        if attribute in ("Name", "QueueName"):
            return self.physical_name(logical_id)
        if attribute == "QueueUrl":
            return self.queue_url(logical_id)
        raise KeyError(f"GetAtt {logical_id}.{attribute} is not supported locally")

    def resolve(self, value: Any) -> Any:
        """Resolve intrinsics in a template value to plain strings."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self._ref(arg)
            if key == "Fn::GetAtt":
                logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self._get_att(logical, attribute)
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                sep, text = arg
                return str(self.resolve(text)).split(sep)
            if key == "Fn::Join":
                sep, parts = arg
                return sep.join(str(self.resolve(p)) for p in parts)
            if key == "Fn::Sub":
                text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))
                return re.sub(r"\$\{([^}!]+)\}", lambda m: self._sub_variable(m.group(1), extra), text)
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub_variable(self, name: str, extra: dict[str, Any]) -> str:
        if name in extra:
            return str(extra[name])
        if "." in name and not name.startswith("AWS::"):
            return self._get_att(*name.split(".", 1))
        return self._ref(name)

    def state_machine_definition(self, logical_id: str) -> str:
        """The ASL file with DefinitionSubstitutions applied (what SAM deploys)."""
        props = self.resources[logical_id]["Properties"]
        text = (self.root / props["DefinitionUri"]).read_text()
        for key, value in self.resolve(props.get("DefinitionSubstitutions", {})).items():
            text = text.replace("${" + key + "}", str(value))
        leftover = re.findall(r"\$\{[^}]+\}", text)
        if leftover:
            raise ValueError(f"{props['DefinitionUri']}: no DefinitionSubstitutions for {sorted(set(leftover))}")
        return text

    def function_entry(self, logical_id: str) -> tuple[Path, str, str]:
        """(code directory, module name, function name) of a function's handler."""
        props = self.function_properties(logical_id)
        if props.get("PackageType") == "Image":
            handler = props["ImageConfig"]["Command"][0]
            code_dir = self.root / Path(self.resources[logical_id]["Metadata"]["Dockerfile"]).parent
        else:
            handler = props["Handler"]
            code_dir = self.root / props["CodeUri"]
        module, _, function = handler.rpartition(".")
        return code_dir, module, function

    def schedules(self) -> list[tuple[str, float]]:
        """(function logical id, seconds) for every `rate(...)` Schedule event."""
        units = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
        found = []
        for logical_id in self.of_type("AWS::Serverless::Function"):
            for event in self.resources[logical_id]["Properties"].get("Events", {}).values():
                if event["Type"] == "Schedule":
                    value, unit = str(event["Properties"]["Schedule"]).removeprefix("rate(").rstrip(")").split()
                    found.append((logical_id, float(value) * units[unit]))
        return found

    def api_routes(self) -> list[tuple[str, str, str]]:
        """(METHOD, path template, function logical id) for every Api event."""
        routes = []
        for logical_id in self.of_type("AWS::Serverless::Function"):
            events = self.resources[logical_id]["Properties"].get("Events", {})
            for event in events.values():
                if event["Type"] == "Api":
                    props = event["Properties"]
                    routes.append((props["Method"].upper(), props["Path"], logical_id))
        return routes
