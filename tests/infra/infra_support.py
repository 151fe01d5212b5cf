"""Helpers for the CDK tests: synthesize the real app (with cdk-nag) and check what came out."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App, Validations
from aws_cdk.assertions import Template

from infra.app_builder import build_app
from infra.nag import rule_packs
from infra.stack import EscalationStack

INSTANCE_ID = "11111111-2222-3333-4444-555555555555"
REPO_ROOT = Path(__file__).resolve().parents[2]

# The stacks the tests synthesize, each once per run (tests/infra/conftest.py), by the name tests ask for.
DESKTOP_ORIGIN = "https://example.my.connect.aws"
IMPORTED_POOL_ID = "eu-west-1_AbCdEfGhI"
IMPORTED_CLIENT_IDS = "1example23456789abcdefghij, 2example23456789abcdefghij"
STACK_CONTEXTS: dict[str, dict[str, str]] = {
    # Only the required context: the default stack (test_infra_default_stack.py, test_infra_sla_timers.py).
    "default": {"connectInstanceId": INSTANCE_ID},
    # Every optional key set: CORS, imported pool, bus, e-mail, SSM rules (test_infra_options_stack.py).
    "options": {
        "connectInstanceId": INSTANCE_ID,
        "envName": "prod",
        "userPoolId": IMPORTED_POOL_ID,
        "userPoolClientIds": IMPORTED_CLIENT_IDS,
        "eventBusName": "contact-center",
        "alertEmail": "oncall@example.com",
        "desktopOrigin": DESKTOP_ORIGIN + "/",
        "routingRulesParameter": "true",
        "reservedConcurrency": "3",
        "transferQuota": "6",
        "supervisorGroup": "cc-supervisors",
        "auditRetentionDays": "730",
        "timedChannels": "task,EMAIL,VOICE,CHAT",
    },
    # A created pool, the desktop's origin, no reservation: a first deployment (test_infra_desktop_stack.py).
    "desktop": {
        "connectInstanceId": INSTANCE_ID,
        "desktopOrigin": DESKTOP_ORIGIN,
        "reservedConcurrency": "none",
    },
    # `-c snapStart=true -c memorySize=512`: triggers on the version's alias (test_infra_snapstart.py).
    "snapstart": {"connectInstanceId": INSTANCE_ID, "snapStart": "true", "memorySize": "512"},
    # `-c slaTimers=false` (test_infra_sla_timers.py).
    "sla-timers-off": {"connectInstanceId": INSTANCE_ID, "slaTimers": "false"},
}


@dataclass(frozen=True)
class Synth:
    app: App
    stack: EscalationStack
    template: Template
    template_path: Path
    context: Mapping[str, Any]

    @property
    def raw(self) -> dict[str, Any]:
        return dict(self.template.to_json())

    def resources(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.raw["Resources"].items() if v["Type"] == cfn_type}

    def one(self, cfn_type: str) -> tuple[str, dict[str, Any]]:
        found = self.resources(cfn_type)
        assert len(found) == 1, f"expected one {cfn_type}, found {sorted(found)}"
        return next(iter(found.items()))

    def logical_id(self, construct: Any) -> str:
        return str(self.stack.resolve(construct.node.default_child.logical_id))


def synthesize(context: Mapping[str, Any], outdir: Path) -> Synth:
    """Synthesize exactly as `cdk synth` does: cdk-nag plugins on, so any finding raises here."""
    app, stack = build_app(context, outdir=str(outdir))
    assembly = app.synth()
    path = Path(assembly.get_stack_artifact(stack.artifact_id).template_full_path)
    template = Template.from_json(json.loads(path.read_text()))
    return Synth(app=app, stack=stack, template=template, template_path=path, context=dict(context))


def statements(synth: Synth) -> Iterator[dict[str, Any]]:
    """Every statement of every identity policy in the template."""
    for resource in synth.resources("AWS::IAM::Policy").values():
        yield from resource["Properties"]["PolicyDocument"]["Statement"]


def role_statements(synth: Synth, role: Any) -> Iterator[dict[str, Any]]:
    """Every statement of the identity policies attached to one role."""
    ref = {"Ref": synth.logical_id(role)}
    for resource in synth.resources("AWS::IAM::Policy").values():
        if ref in resource["Properties"].get("Roles", []):
            yield from resource["Properties"]["PolicyDocument"]["Statement"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def rendered(value: Any) -> str:
    """A string with its Fn::Join/Ref parts flattened (`<AWS::Region>`), for matching."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>"
    parts = value["Fn::Join"][1]
    return "".join(p if isinstance(p, str) else f"<{p['Ref']}>" for p in parts)


# CloudWatch may act for this account's alarms in this Region only.
ALARM_CONDITIONS = {
    "StringEquals": {"aws:SourceAccount": "<AWS::AccountId>"},
    "ArnLike": {"aws:SourceArn": "arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:*"},
}


def key_statements(synth: Synth, key: Any = None) -> list[dict[str, Any]]:
    """The policy statements of one key: the stack's encryption key unless another is named."""
    logical_id = synth.logical_id(key if key is not None else synth.stack.storage.key)
    return list(synth.raw["Resources"][logical_id]["Properties"]["KeyPolicy"]["Statement"])


def principal_services(statement: dict[str, Any]) -> set[str]:
    principal = statement.get("Principal")
    return set(as_list(principal.get("Service", []))) if isinstance(principal, dict) else set()


def rendered_conditions(statement: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        operator: {key: rendered(value) for key, value in values.items()}
        for operator, values in statement["Condition"].items()
    }


def gateway_responses(synth: Synth) -> dict[str, dict[str, Any]]:
    """ResponseType -> properties of every AWS::ApiGateway::GatewayResponse."""
    return {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in synth.resources("AWS::ApiGateway::GatewayResponse").values()
    }


def preflight_headers(synth: Synth) -> list[dict[str, str]]:
    """The response headers of every CORS preflight (OPTIONS) method."""
    return [
        m["Properties"]["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
        for m in synth.resources("AWS::ApiGateway::Method").values()
        if m["Properties"]["HttpMethod"] == "OPTIONS"
    ]


def layer_parameter_path(synth: Synth) -> str:
    """The SSM path the function's one layer is resolved from at deploy time."""
    _, function = synth.one("AWS::Lambda::Function")
    (layer,) = function["Properties"]["Layers"]
    parameter = synth.raw["Parameters"][layer["Ref"]]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
    return str(parameter["Default"])


def assert_retained(synth: Synth, construct: Any) -> None:
    resource = synth.raw["Resources"][synth.logical_id(construct)]
    assert (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")) == ("Retain", "Retain")


def assert_no_nag_findings(synth: Synth) -> None:
    problems = [
        f"{violation.rule_name}: {[r.construct_path for r in violation.violating_resources]}"
        for pack in rule_packs()
        for violation in pack.validate_scope(synth.app).violations
    ]
    assert problems == []


def assert_acknowledgments_have_reasons(synth: Synth) -> None:
    acknowledged = acknowledged_rules(synth.app)
    assert acknowledged, "expected the stack's documented acknowledgments"
    assert {k: r for k, r in acknowledged.items() if len(r.strip()) < 20} == {}
    # A reason that points at a file must point at one that exists.
    for reason in acknowledged.values():
        for path in re.findall(r"[\w./-]+\.(?:md|py|json|ya?ml|txt)\b", reason):
            assert (REPO_ROOT / path).exists(), f"{path} named in {reason!r}"


def assert_every_acknowledgment_is_still_raised(synth: Synth) -> None:
    """Each acknowledged finding is one cdk-nag raises on that construct when nothing is acknowledged:
    an acknowledgment for a finding that went away is a stale claim."""
    bare_app, _ = build_app(synth.context, nag=False, acknowledge=False)
    raised = [
        (violation.rule_name, resource.construct_path or "")
        for pack in rule_packs()
        for violation in pack.validate_scope(bare_app).violations
        for resource in violation.violating_resources
    ]
    stale = [
        (path, rule)
        for path, rule in acknowledged_rules(synth.app)
        if not any(r == rule and (p == path or p.startswith(path + "/")) for r, p in raised)
    ]
    assert stale == [], stale


def assert_cfn_lint_clean(synth: Synth) -> None:
    # The same command and config as `make lint-infra`; W3005 is the one justified ignore.
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "cfn-lint"),
            "--config-file",
            str(REPO_ROOT / "infra" / ".cfnlintrc.yaml"),
            "--format",
            "parseable",
            "--",
            str(synth.template_path),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
    )
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


def acknowledged_rules(app: App) -> dict[tuple[str, str], str]:
    """(construct path, rule id) -> reason, for every acknowledgment in the app."""
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    return {
        # Stored as "Annotation::<rule id>".
        (construct.node.path, str(rule).removeprefix("Annotation::")): str(reason)
        for construct in app.node.find_all()
        for entry in construct.node.metadata
        if entry.type == key
        for rule, reason in dict(entry.data).items()
    }
