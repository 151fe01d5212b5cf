"""The stack with only the required context: every promise of the design, checked on the template."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match
from aws_lambda_powertools.shared.version import VERSION as POWERTOOLS_VERSION

from escalation import contract
from infra import events, monitoring, package
from infra.gateway_responses import GATEWAY_ANSWERS, THROTTLE_BURST, THROTTLE_RATE
from infra.request_schema import DRAFT4, request_schema
from tests.infra.iam_reference import check_grants
from tests.infra.infra_support import (
    ALARM_CONDITIONS,
    INSTANCE_ID,
    REPO_ROOT,
    Synth,
    as_list,
    assert_retained,
    gateway_responses,
    key_statements,
    principal_services,
    rendered,
    rendered_conditions,
    role_statements,
    statements,
)

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def synth(synthesized: Callable[[str], Synth]) -> Synth:
    return synthesized("default")


def getatt_arn(logical_id: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


# --- Lambda -----------------------------------------------------------------------------------------


def test_function_runs_python_3_13_on_arm64_capped_at_five_environments(synth: Synth) -> None:
    synth.template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Runtime": "python3.13",
            "Architectures": ["arm64"],
            "MemorySize": 256,
            "Timeout": 20,
            "TracingConfig": {"Mode": "Active"},
            "ReservedConcurrentExecutions": 5,
        },
    )


def test_function_uses_the_powertools_layer_of_the_tested_release(synth: Synth) -> None:
    _, function = synth.one("AWS::Lambda::Function")
    layers = function["Properties"]["Layers"]
    assert len(layers) == 1
    parameter = synth.raw["Parameters"][layers[0]["Ref"]]
    # Read independently of infra: the pin in requirements.txt and the release the tests import.
    pins = [
        line.split("==")[1].strip()
        for line in (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.startswith("aws-lambda-powertools")
    ]
    assert pins == [POWERTOOLS_VERSION]
    assert parameter == {
        "Type": "AWS::SSM::Parameter::Value<String>",
        "Default": f"/aws/service/powertools/python/arm64/python3.13/{POWERTOOLS_VERSION}",
    }


def test_function_environment_names_every_resource_and_setting_the_handler_reads(synth: Synth) -> None:
    _, function = synth.one("AWS::Lambda::Function")
    env = function["Properties"]["Environment"]["Variables"]
    assert set(env) == {
        contract.EnvVar.CONNECT_INSTANCE_ID,
        contract.EnvVar.CONNECT_INSTANCE_ARN,
        contract.EnvVar.DEAD_LETTER_MAC_KEY_ID,
        contract.EnvVar.ROUTING_RULES,
        contract.EnvVar.DLQ_URL,
        contract.EnvVar.ALERT_TOPIC_ARN,
        contract.EnvVar.IDEMPOTENCY_TABLE,
        contract.EnvVar.CALLER_USER_ID_CLAIM,
        contract.EnvVar.SUPERVISOR_GROUP,
        contract.EnvVar.CONNECT_TRANSFER_RATE,
        contract.EnvVar.CALLER_CLIENT_IDS,
        contract.EnvVar.LEDGER_TABLE,
        contract.EnvVar.LEDGER_RETENTION_DAYS,
        contract.EnvVar.EVENT_BUS_NAME,
        contract.EnvVar.SLA_TIMERS_ENABLED,
        contract.EnvVar.SLA_SCHEDULE_GROUP,
        contract.EnvVar.SLA_TIMER_TARGET_ARN,
        contract.EnvVar.SLA_SCHEDULER_ROLE_ARN,
        contract.EnvVar.SLA_SCHEDULE_DLQ_ARN,
        contract.EnvVar.SLA_CALENDAR_CACHE_SECONDS,
        contract.EnvVar.SLA_TIMED_CHANNELS,
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "POWERTOOLS_LOG_LEVEL",
        *package.RUNTIME_ENVIRONMENT,
    }
    assert env[contract.EnvVar.CONNECT_INSTANCE_ID] == INSTANCE_ID
    # The full ARN (partition, Region, account, id) that contact events must name exactly.
    assert rendered(env[contract.EnvVar.CONNECT_INSTANCE_ARN]) == (
        f"arn:<AWS::Partition>:connect:<AWS::Region>:<AWS::AccountId>:instance/{INSTANCE_ID}"
    )
    assert env[contract.EnvVar.DEAD_LETTER_MAC_KEY_ID] == getatt_arn(
        synth.logical_id(synth.stack.dead_letters.mac_key)
    )
    assert env[contract.EnvVar.ROUTING_RULES] == contract.DEFAULT_ROUTING_RULES_FILE
    assert env[contract.EnvVar.CALLER_USER_ID_CLAIM] == contract.DEFAULT_CALLER_USER_ID_CLAIM
    assert env[contract.EnvVar.SUPERVISOR_GROUP] == contract.DEFAULT_SUPERVISOR_GROUP
    # Connect's 2 transfers/s shared by the 5 reserved environments.
    assert env[contract.EnvVar.CONNECT_TRANSFER_RATE] == "0.4"
    assert function["Properties"]["ReservedConcurrentExecutions"] * 0.4 == pytest.approx(2.0)
    assert env["POWERTOOLS_SERVICE_NAME"] == contract.SERVICE_NAME
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == contract.METRICS_NAMESPACE
    assert env["POWERTOOLS_LOG_LEVEL"] == "INFO"
    assert env["PYDANTIC_DISABLE_PLUGINS"] == "__all__"  # no entry-point scan on the first model
    assert env[contract.EnvVar.SLA_CALENDAR_CACHE_SECONDS] == "300"  # business-hours calendars, 5 minutes
    assert env[contract.EnvVar.DLQ_URL] == {"Ref": synth.logical_id(synth.stack.storage.dlq)}
    assert env[contract.EnvVar.ALERT_TOPIC_ARN] == {"Ref": synth.logical_id(synth.stack.alerts.topic)}
    assert env[contract.EnvVar.IDEMPOTENCY_TABLE] == {
        "Ref": synth.logical_id(synth.stack.storage.idempotency_table)
    }
    assert env[contract.EnvVar.LEDGER_TABLE] == {"Ref": synth.logical_id(synth.stack.storage.ledger_table)}
    assert env[contract.EnvVar.LEDGER_RETENTION_DAYS] == "400"
    assert env[contract.EnvVar.EVENT_BUS_NAME] == "default"
    # Only ID tokens issued to the created pool's desktop client are accepted.
    client_id, _ = synth.one("AWS::Cognito::UserPoolClient")
    assert env[contract.EnvVar.CALLER_CLIENT_IDS] == {"Ref": client_id}


def test_function_log_group_has_retention(synth: Synth) -> None:
    log_group = synth.logical_id(synth.stack.compute.log_group)
    assert synth.raw["Resources"][log_group]["Properties"]["RetentionInDays"] == 30
    _, function = synth.one("AWS::Lambda::Function")
    assert function["Properties"]["LoggingConfig"]["LogGroup"] == {"Ref": log_group}


def test_async_invoke_config_retries_twice_then_dead_letters(synth: Synth) -> None:
    _, config = synth.one("AWS::Lambda::EventInvokeConfig")
    props = config["Properties"]
    assert props["FunctionName"] == {"Ref": synth.logical_id(synth.stack.compute.function)}
    assert props["MaximumRetryAttempts"] == 2
    assert props["MaximumEventAgeInSeconds"] == 3600
    assert props["DestinationConfig"] == {
        "OnFailure": {"Destination": getatt_arn(synth.logical_id(synth.stack.storage.dlq))}
    }


def staged_asset(synth: Synth) -> Path:
    """The directory the function's code is zipped from."""
    _, function = synth.one("AWS::Lambda::Function")
    # The template names the code by its asset hash; the assembly's asset manifest says which staged
    # directory that hash was built from.
    asset_hash = function["Properties"]["Code"]["S3Key"].removesuffix(".zip")
    manifest = synth.template_path.with_name(f"{synth.stack.artifact_id}.assets.json")
    source = json.loads(manifest.read_text())["files"][asset_hash]["source"]
    assert source["packaging"] == "zip"
    return synth.template_path.parent / source["path"]


def test_function_handler_is_importable_from_the_staged_asset(synth: Synth) -> None:
    _, function = synth.one("AWS::Lambda::Function")
    asset = staged_asset(synth)
    module, attribute = function["Properties"]["Handler"].rsplit(".", 1)
    # Bytecode directories only: no tool's cache directory (.mypy_cache, .pytest_cache, ...).
    assert {path.name for path in asset.rglob("*") if path.is_dir() and "cache" in path.name} == {
        "__pycache__"
    }
    # The time-zone database business-hours clocks read, at the package's top level.
    assert (asset / "tzdata" / "zoneinfo" / "America" / "New_York").is_file()
    # A fresh interpreter that sees only the asset (and the venv's packages, as the layer provides).
    probe = (
        "import importlib, sys; "
        f"sys.path.insert(0, {str(asset)!r}); "
        f"m = importlib.import_module({module!r}); "
        f"assert m.__file__.startswith({str(asset)!r}), m.__file__; "
        f"assert callable(getattr(m, {attribute!r}))"
    )
    # The function's own environment, with stand-ins for the values CloudFormation fills in.
    stand_ins = {
        contract.EnvVar.DLQ_URL: "https://sqs.eu-west-1.amazonaws.com/123456789012/dlq",
        contract.EnvVar.CONNECT_INSTANCE_ARN: f"arn:aws:connect:eu-west-1:123456789012:instance/{INSTANCE_ID}",  # noqa: E501
        contract.EnvVar.DEAD_LETTER_MAC_KEY_ID: "arn:aws:kms:eu-west-1:123456789012:key/mac",
        contract.EnvVar.ALERT_TOPIC_ARN: "arn:aws:sns:eu-west-1:123456789012:alerts",
        contract.EnvVar.IDEMPOTENCY_TABLE: "idempotency",
        contract.EnvVar.LEDGER_TABLE: "ledger",
        contract.EnvVar.CALLER_CLIENT_IDS: "desktopclient",
        contract.EnvVar.SLA_TIMER_TARGET_ARN: "arn:aws:lambda:eu-west-1:123456789012:function:handler",
        contract.EnvVar.SLA_SCHEDULER_ROLE_ARN: "arn:aws:iam::123456789012:role/scheduler",
        contract.EnvVar.SLA_SCHEDULE_DLQ_ARN: "arn:aws:sqs:eu-west-1:123456789012:schedule-dlq",
    }
    variables = function["Properties"]["Environment"]["Variables"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env |= {"AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1"}
    env |= {k: v if isinstance(v, str) else stand_ins[k] for k, v in variables.items()}
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # /var/task is read-only
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=asset, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_staged_asset_carries_checked_hash_bytecode_for_every_module(synth: Synth) -> None:
    # Lambda cannot write bytecode to /var/task: without it, each cold start compiles every module.
    asset = staged_asset(synth)
    sources = sorted(asset.rglob("*.py"))
    assert len(sources) > 30
    assert (asset / "escalation" / "botocore_models" / "connect").is_dir()
    for source in sources:
        cached = Path(importlib.util.cache_from_source(str(source)))
        assert cached.name.endswith(".cpython-313.pyc"), cached
        flags = int.from_bytes(cached.read_bytes()[4:8], "little")
        assert flags == 0b11, f"{cached}: not checked-hash bytecode"  # hash-based, checked against source


# --- IAM --------------------------------------------------------------------------------------------


def connect_statements(synth: Synth) -> list[dict[str, Any]]:
    return [s for s in statements(synth) if any(a.startswith("connect:") for a in as_list(s["Action"]))]


def test_iam_connect_actions_are_exactly_the_contract(synth: Synth) -> None:
    granted = {a for s in connect_statements(synth) for a in as_list(s["Action"])}
    assert granted == set(contract.CONNECT_ACTIONS)


def test_iam_no_connect_action_on_a_wildcard_resource(synth: Synth) -> None:
    for statement in connect_statements(synth):
        assert statement["Effect"] == "Allow"
        assert not any(a in {"connect:*", "*"} for a in as_list(statement["Action"]))
        for resource in as_list(statement["Resource"]):
            arn = rendered(resource)
            assert arn != "*"
            assert arn.startswith(
                f"arn:<AWS::Partition>:connect:<AWS::Region>:<AWS::AccountId>:instance/{INSTANCE_ID}"
            ), arn


def test_iam_connect_grants_match_the_service_authorization_reference(synth: Synth) -> None:
    per_action: dict[str, set[str]] = {}
    for statement in connect_statements(synth):
        for action in as_list(statement["Action"]):
            per_action.setdefault(action, set()).update(rendered(r) for r in as_list(statement["Resource"]))
    assert set(per_action) == set(contract.CONNECT_ACTIONS)
    problems = check_grants(
        per_action,
        partition="<AWS::Partition>",
        region="<AWS::Region>",
        account="<AWS::AccountId>",
        instance_id=INSTANCE_ID,
    )
    assert problems == []
    instance = f"arn:<AWS::Partition>:connect:<AWS::Region>:<AWS::AccountId>:instance/{INSTANCE_ID}"
    assert instance in per_action["connect:TransferContact"]
    assert instance not in per_action["connect:GetCurrentUserData"]
    # Business-hours SLA clocks: the queue's hours id, then the hours themselves (plus the instance).
    assert per_action["connect:DescribeQueue"] == {f"{instance}/queue/*"}
    assert per_action["connect:GetEffectiveHoursOfOperations"] == {instance, f"{instance}/operating-hours/*"}
    assert per_action["connect:DescribeHoursOfOperation"] == {f"{instance}/operating-hours/*"}


def test_iam_data_plane_grants_are_scoped_to_this_stack(synth: Synth) -> None:
    st = synth.stack
    by_action: dict[str, list[Any]] = {}
    # The handler's role (the SLA timers' scheduler role is checked in test_infra_sla_timers.py).
    for statement in role_statements(synth, st.compute.role):
        for action in as_list(statement["Action"]):
            by_action.setdefault(action, []).extend(as_list(statement["Resource"]))
    table = getatt_arn(synth.logical_id(st.storage.idempotency_table))
    ledger = getatt_arn(synth.logical_id(st.storage.ledger_table))
    ledger_index = {"Fn::Join": ["", [ledger, f"/index/{contract.LEDGER_ESCALATION_INDEX}"]]}
    for action in ("dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"):
        assert by_action[action] == [table]
    assert by_action["dynamodb:PutItem"] == [table, ledger, ledger_index]
    assert by_action["dynamodb:Query"] == [ledger, ledger_index]
    assert not {a for a in by_action if a.startswith("dynamodb:")} - {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:Query",
    }
    assert [rendered(r) for r in by_action["events:PutEvents"]] == [
        "arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/default"
    ]
    assert by_action["sqs:SendMessage"] == [getatt_arn(synth.logical_id(st.storage.dlq))]
    assert by_action["sns:Publish"] == [{"Ref": synth.logical_id(st.alerts.topic)}]
    key = getatt_arn(synth.logical_id(st.storage.key))
    mac_key = getatt_arn(synth.logical_id(st.dead_letters.mac_key))
    assert by_action.pop("kms:GenerateMac") == [mac_key]  # dead-letter records' MAC, on its own key
    assert all(resources == [key] for a, resources in by_action.items() if a.startswith("kms:"))
    assert "ssm:GetParameter" not in by_action  # no routing-rules parameter in this configuration
    # Only X-Ray, which has no resource-level permissions, is granted on "*".
    assert {a for a, resources in by_action.items() if "*" in resources} == {
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }
    # The one managed policy is the redrive operators' (test_infra_dead_letters.py); the role has none.
    assert list(synth.resources("AWS::IAM::ManagedPolicy")) == [
        synth.logical_id(st.dead_letters.redrive_policy)
    ]
    assert "ManagedPolicyArns" not in synth.raw["Resources"][synth.logical_id(st.compute.role)]["Properties"]


# --- Storage ----------------------------------------------------------------------------------------


def test_idempotency_table_is_on_demand_with_ttl_pitr_and_the_stack_key(synth: Synth) -> None:
    synth.template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
            "TimeToLiveSpecification": {"AttributeName": "expiration", "Enabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {
                "SSEEnabled": True,
                "SSEType": "KMS",
                "KMSMasterKeyId": getatt_arn(synth.logical_id(synth.stack.storage.key)),
            },
        },
    )


def test_ledger_table_is_keyed_by_chain_indexed_by_escalation_retained_with_ttl_and_pitr(
    synth: Synth,
) -> None:
    ledger = synth.stack.storage.ledger_table
    assert_retained(synth, ledger)
    props = synth.raw["Resources"][synth.logical_id(ledger)]["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "chainId", "KeyType": "HASH"},
        {"AttributeName": "escalationId", "KeyType": "RANGE"},
    ]
    assert props["GlobalSecondaryIndexes"] == [
        {
            "IndexName": contract.LEDGER_ESCALATION_INDEX,
            "KeySchema": [{"AttributeName": "escalationId", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        }
    ]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"]["KMSMasterKeyId"] == getatt_arn(
        synth.logical_id(synth.stack.storage.key)
    )


def test_key_rotation_is_on(synth: Synth) -> None:
    # KMS rotates symmetric encryption keys only; the HMAC key is checked in test_infra_dead_letters.py.
    key = synth.raw["Resources"][synth.logical_id(synth.stack.storage.key)]
    assert key["Properties"]["EnableKeyRotation"] is True


@pytest.mark.parametrize("queue", ["handler", "event"])
def test_dead_letter_queues_are_encrypted_retained_and_tls_only(synth: Synth, queue: str) -> None:
    construct = synth.stack.storage.dlq if queue == "handler" else synth.stack.events.dlq
    logical_id = synth.logical_id(construct)
    assert_retained(synth, construct)
    props = synth.raw["Resources"][logical_id]["Properties"]
    assert props["KmsMasterKeyId"] == getatt_arn(synth.logical_id(synth.stack.storage.key))
    assert props["MessageRetentionPeriod"] == 14 * 24 * 3600
    synth.template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "Queues": [{"Ref": logical_id}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "sqs:*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            },
        },
    )


def test_no_routing_rules_parameter_by_default(synth: Synth) -> None:
    assert not synth.resources("AWS::SSM::Parameter")


# --- Events -----------------------------------------------------------------------------------------


def test_rule_matches_the_contracts_pattern_on_the_default_bus(synth: Synth) -> None:
    rule = synth.raw["Resources"][synth.logical_id(synth.stack.events.rule)]
    assert rule["Properties"]["EventPattern"] == contract.SLA_BREACH_EVENT_PATTERN
    assert "EventBusName" not in rule["Properties"]  # the default bus
    assert rule["Properties"]["State"] == "ENABLED"


def test_rule_target_has_retry_policy_and_its_own_dlq(synth: Synth) -> None:
    rule = synth.raw["Resources"][synth.logical_id(synth.stack.events.rule)]
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == getatt_arn(synth.logical_id(synth.stack.compute.function))
    assert target["RetryPolicy"] == {
        "MaximumRetryAttempts": events.DELIVERY_RETRY_ATTEMPTS,
        "MaximumEventAgeInSeconds": 3600,
    }
    event_dlq = synth.logical_id(synth.stack.events.dlq)
    assert target["DeadLetterConfig"] == {"Arn": getatt_arn(event_dlq)}
    assert event_dlq != synth.logical_id(synth.stack.storage.dlq)


def test_eventbridge_can_write_to_its_encrypted_dlq_for_this_rule_only(synth: Synth) -> None:
    rule_id = synth.logical_id(synth.stack.events.rule)
    event_dlq = synth.logical_id(synth.stack.events.dlq)
    (policy,) = [
        p["Properties"]
        for p in synth.resources("AWS::SQS::QueuePolicy").values()
        if p["Properties"]["Queues"] == [{"Ref": event_dlq}]
    ]
    sends = [
        {k: v for k, v in s.items() if k != "Sid"}
        for s in policy["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
    ]
    assert sends == [
        {
            "Action": "sqs:SendMessage",
            "Condition": {"ArnEquals": {"aws:SourceArn": getatt_arn(rule_id)}},
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Resource": getatt_arn(event_dlq),
        }
    ]
    (key_grant,) = [s for s in key_statements(synth) if principal_services(s) == {"events.amazonaws.com"}]
    assert set(as_list(key_grant["Action"])) == {"kms:Decrypt", "kms:GenerateDataKey"}


# --- API --------------------------------------------------------------------------------------------


def test_post_escalations_needs_a_cognito_token_and_a_valid_body(synth: Synth) -> None:
    authorizer_id, authorizer = synth.one("AWS::ApiGateway::Authorizer")
    assert authorizer["Properties"]["Type"] == "COGNITO_USER_POOLS"
    pool_id, _ = synth.one("AWS::Cognito::UserPool")
    assert authorizer["Properties"]["ProviderARNs"] == [getatt_arn(pool_id)]
    methods = synth.resources("AWS::ApiGateway::Method")
    (post,) = [m["Properties"] for m in methods.values() if m["Properties"]["HttpMethod"] == "POST"]
    assert post["AuthorizationType"] == "COGNITO_USER_POOLS"
    assert post["AuthorizerId"] == {"Ref": authorizer_id}
    assert post["Integration"]["Type"] == "AWS_PROXY"
    validator_id, validator = synth.one("AWS::ApiGateway::RequestValidator")
    assert post["RequestValidatorId"] == {"Ref": validator_id}
    assert validator["Properties"]["ValidateRequestBody"] is True
    model_id, model = synth.one("AWS::ApiGateway::Model")
    assert post["RequestModels"] == {"application/json": {"Ref": model_id}}
    # The handler's pydantic model, converted: unknown fields are refused by the gateway too.
    assert model["Properties"]["Schema"] == {"$schema": DRAFT4, **request_schema()}
    assert model["Properties"]["Schema"]["additionalProperties"] is False
    # The method sits on the contract's path.
    synth.template.has_resource_properties(
        "AWS::ApiGateway::Resource", {"PathPart": contract.API_PATH.strip("/")}
    )
    # No CORS configured: no unauthenticated methods at all.
    assert all(m["Properties"]["AuthorizationType"] == "COGNITO_USER_POOLS" for m in methods.values())


def test_the_read_routes_need_a_cognito_token_and_their_path_or_query_parameter(synth: Synth) -> None:
    authorizer_id, _ = synth.one("AWS::ApiGateway::Authorizer")
    validator_id, _ = synth.one("AWS::ApiGateway::RequestValidator")
    resources = synth.resources("AWS::ApiGateway::Resource")
    gets = [m["Properties"] for m in synth.resources("AWS::ApiGateway::Method").values()]
    gets = [m for m in gets if m["HttpMethod"] == "GET"]
    parts = {logical_id: r["Properties"]["PathPart"] for logical_id, r in resources.items()}
    assert sorted(parts[m["ResourceId"]["Ref"]] for m in gets) == [
        "escalation-options",
        "escalations",
        "{escalationId}",
    ]
    # Each parameter required: the gateway refuses a request without it (INVALID_PARAMETERS).
    assert sorted((m["RequestParameters"] for m in gets), key=str) == sorted(
        [
            {"method.request.path.contactId": True},
            {"method.request.path.escalationId": True},
            {"method.request.querystring.contactId": True},
        ],
        key=str,
    )
    for method in gets:
        assert method["AuthorizationType"] == "COGNITO_USER_POOLS"
        assert method["AuthorizerId"] == {"Ref": authorizer_id}
        assert method["RequestValidatorId"] == {"Ref": validator_id}
        assert method["Integration"]["Type"] == "AWS_PROXY"


def test_stage_has_access_logs_throttling_and_tracing(synth: Synth) -> None:
    _, stage = synth.one("AWS::ApiGateway::Stage")
    props = stage["Properties"]
    assert props["TracingEnabled"] is True
    assert props["AccessLogSetting"]["DestinationArn"] == getatt_arn(
        synth.logical_id(synth.stack.api.node.find_child("AccessLogs"))
    )
    assert props["AccessLogSetting"]["Format"].startswith("{")  # JSON, one object per request
    (settings,) = props["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == THROTTLE_RATE
    assert settings["ThrottlingBurstLimit"] == THROTTLE_BURST


def test_gateway_answers_its_own_refusals_in_the_error_shape_without_cors(synth: Synth) -> None:
    responses = gateway_responses(synth)
    assert set(responses) == {a.response_type for a in GATEWAY_ANSWERS}
    for answer in GATEWAY_ANSWERS:
        props = responses[answer.response_type]
        assert props["ResponseTemplates"] == {"application/json": answer.body_template()}
        assert props.get("StatusCode") == (str(answer.status) if answer.status else None)
        assert not any("Access-Control" in h for h in props.get("ResponseParameters", {}))
    assert responses["THROTTLED"]["ResponseParameters"] == {"gatewayresponse.header.Retry-After": "'1'"}


def test_desktop_client_cannot_write_the_caller_attribute(synth: Synth) -> None:
    _, client = synth.one("AWS::Cognito::UserPoolClient")
    writable = client["Properties"]["WriteAttributes"]
    # Present and non-empty: a client without WriteAttributes may write every writable attribute.
    assert writable
    assert contract.DEFAULT_CALLER_USER_ID_CLAIM not in writable
    assert not any(a.startswith("custom:") for a in writable)


def test_created_user_pool_has_the_supervisors_group_and_a_client(synth: Synth) -> None:
    pool_id, pool = synth.one("AWS::Cognito::UserPool")
    synth.template.has_resource_properties(
        "AWS::Cognito::UserPoolGroup",
        {"GroupName": contract.DEFAULT_SUPERVISOR_GROUP, "UserPoolId": {"Ref": pool_id}},
    )
    synth.template.has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {
            "UserPoolId": {"Ref": pool_id},
            "GenerateSecret": False,
            "AllowedOAuthFlowsUserPoolClient": False,
        },
    )
    attribute = contract.DEFAULT_CALLER_USER_ID_CLAIM.removeprefix("custom:")
    schema = next(s for s in pool["Properties"]["Schema"] if s["Name"] == attribute)
    assert {"AttributeDataType": "String", "Mutable": True}.items() <= schema.items()
    assert pool["Properties"]["MfaConfiguration"] == "ON"


# --- Monitoring -------------------------------------------------------------------------------------


def test_cloudwatch_alarms_may_publish_to_the_topic_from_this_account_only(synth: Synth) -> None:
    topic_id = synth.logical_id(synth.stack.alerts.topic)
    _, policy = synth.one("AWS::SNS::TopicPolicy")
    (grant,) = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow" and principal_services(s) == {"cloudwatch.amazonaws.com"}
    ]
    assert grant["Action"] == "sns:Publish"
    assert grant["Resource"] == {"Ref": topic_id}
    assert rendered_conditions(grant) == ALARM_CONDITIONS


def test_cloudwatch_may_use_the_key_for_this_accounts_alarms_only(synth: Synth) -> None:
    (grant,) = [s for s in key_statements(synth) if principal_services(s) == {"cloudwatch.amazonaws.com"}]
    assert set(as_list(grant["Action"])) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert rendered_conditions(grant) == ALARM_CONDITIONS


def test_topic_is_encrypted_and_tls_only(synth: Synth) -> None:
    topic_id = synth.logical_id(synth.stack.alerts.topic)
    assert synth.raw["Resources"][topic_id]["Properties"]["KmsMasterKeyId"] == getatt_arn(
        synth.logical_id(synth.stack.storage.key)
    )
    synth.template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "Topics": [{"Ref": topic_id}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                        )
                    ]
                )
            },
        },
    )
    assert not synth.resources("AWS::SNS::Subscription")


def test_every_alarm_notifies_the_topic(synth: Synth) -> None:
    alarms = synth.resources("AWS::CloudWatch::Alarm")
    assert len(alarms) == 9  # with the SLA timers' two DLQ alarms
    topic = {"Ref": synth.logical_id(synth.stack.alerts.topic)}
    assert all(a["Properties"]["AlarmActions"] == [topic] for a in alarms.values())


def alarm_on(synth: Synth, metric_name: str) -> list[dict[str, Any]]:
    return [
        a["Properties"]
        for a in synth.resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == metric_name
    ]


def test_any_message_in_any_dlq_raises_an_alarm(synth: Synth) -> None:
    alarms = alarm_on(synth, "ApproximateNumberOfMessagesVisible")
    queues = {a["Dimensions"][0]["Value"]["Fn::GetAtt"][0] for a in alarms}
    timers = synth.stack.sla_timers
    assert timers is not None
    watched = (synth.stack.storage.dlq, synth.stack.events.dlq, timers.dlq, timers.delivery_dlq)
    assert queues == {synth.logical_id(queue) for queue in watched}
    assert all((a["ComparisonOperator"], a["Threshold"]) == ("GreaterThanThreshold", 0) for a in alarms)


def test_one_alert_decision_raises_an_alarm(synth: Synth) -> None:
    (alarm,) = alarm_on(synth, contract.Metric.DECISION_ALERT)
    assert alarm["Namespace"] == contract.METRICS_NAMESPACE
    assert alarm["Dimensions"] == [{"Name": "service", "Value": contract.SERVICE_NAME}]
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)


def test_one_failed_dead_letter_write_raises_an_alarm(synth: Synth) -> None:
    (alarm,) = alarm_on(synth, contract.Metric.DEAD_LETTER_WRITE_FAILED)
    assert alarm["Namespace"] == contract.METRICS_NAMESPACE
    assert alarm["Dimensions"] == [{"Name": "service", "Value": contract.SERVICE_NAME}]
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    assert alarm["Statistic"] == "Sum"


def test_sustained_connect_throttling_raises_an_alarm(synth: Synth) -> None:
    (alarm,) = alarm_on(synth, contract.Metric.CONNECT_ERROR)
    assert alarm["Namespace"] == contract.METRICS_NAMESPACE
    assert sorted(alarm["Dimensions"], key=lambda d: d["Name"]) == [
        {"Name": contract.ERROR_CODE_DIMENSION, "Value": "ThrottlingException"},
        {"Name": "service", "Value": contract.SERVICE_NAME},
    ]
    assert alarm["Threshold"] == monitoring.THROTTLES_PER_PERIOD


def test_handler_errors_and_slow_transfers_raise_alarms(synth: Synth) -> None:
    (errors,) = alarm_on(synth, "Errors")
    assert errors["Namespace"] == "AWS/Lambda"
    (latency,) = alarm_on(synth, contract.Metric.TRANSFER_LATENCY)
    assert latency["ExtendedStatistic"] == "p99"
    assert latency["Dimensions"] == [{"Name": "service", "Value": contract.SERVICE_NAME}]


def test_dashboard_shows_the_service_metrics(synth: Synth) -> None:
    _, dashboard = synth.one("AWS::CloudWatch::Dashboard")
    # Dashboard names are global per account: stack name and Region keep two deployments apart.
    assert rendered(dashboard["Properties"]["DashboardName"]) == "ConnectEscalation-dev-<AWS::Region>"
    body = str(synth.stack.resolve(dashboard["Properties"]["DashboardBody"]))
    for name in (
        contract.Metric.REQUESTED,
        contract.Metric.TRANSFERRED,
        contract.Metric.SKIPPED,
        contract.Metric.REFUSED,
        contract.Metric.DECISION_RETRY,
        contract.Metric.DECISION_DEAD_LETTER,
        contract.Metric.DECISION_ALERT,
        contract.Metric.DECISION_DUPLICATE,
        contract.Metric.CONNECT_ERROR,
        contract.Metric.TRANSFER_LATENCY,
        contract.Metric.EVENT_PUBLISH_FAILED,
    ):
        assert name in body, name


def test_outputs_give_operators_the_api_queues_topic_dashboard_and_pool(synth: Synth) -> None:
    outputs = synth.raw["Outputs"]
    assert {
        "ApiUrl",
        "DlqUrl",
        "AlertTopicArn",
        "DashboardUrl",
        "UserPoolId",
        "UserPoolClientId",
        "DeadLetterMacKeyArn",
        "RedrivePolicyArn",
    } <= set(outputs)


def test_stack_and_template_are_named_after_the_env_name(synth: Synth) -> None:
    assert synth.stack.stack_name == "ConnectEscalation-dev"
    assert Path(synth.template_path).name == "ConnectEscalation-dev.template.json"


def test_iam_the_services_with_trimmed_models_are_granted_exactly_the_modelled_operations(
    synth: Synth,
) -> None:
    # A granted operation missing from the shipped model could not be called at all.
    for service, operations in contract.TRIMMED_MODEL_OPERATIONS.items():
        granted = {
            action
            for statement in statements(synth)
            for action in as_list(statement["Action"])
            if action.startswith(f"{service}:")
        }
        assert granted == {f"{service}:{operation}" for operation in operations}, service
