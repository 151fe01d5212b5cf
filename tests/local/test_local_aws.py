"""local.aws: the stack's resources exist in moto and the handler's environment reaches them."""

from __future__ import annotations

import json

import boto3
import pytest

from escalation.contract import EnvVar
from local.aws import LocalAws

pytestmark = pytest.mark.integration


def test_resources_are_created_as_the_stack_would(aws: LocalAws) -> None:
    sqs, sns, ddb = aws.sqs(), aws.sns(), aws.dynamodb()

    assert aws.endpoint_url.startswith("http://127.0.0.1:")
    assert aws.dlq_url.endswith(f"/{aws.name_prefix}-dlq")
    retention = sqs.get_queue_attributes(QueueUrl=aws.dlq_url, AttributeNames=["MessageRetentionPeriod"])
    assert retention["Attributes"]["MessageRetentionPeriod"] == str(14 * 24 * 3600)

    subs = sns.list_subscriptions_by_topic(TopicArn=aws.alert_topic_arn)["Subscriptions"]
    assert [s["Protocol"] for s in subs] == ["sqs"]
    attrs = sns.get_subscription_attributes(SubscriptionArn=subs[0]["SubscriptionArn"])["Attributes"]
    assert attrs["RawMessageDelivery"] == "false"

    table = ddb.describe_table(TableName=aws.idempotency_table)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    ttl = ddb.describe_time_to_live(TableName=aws.idempotency_table)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiration"}

    assert aws.routing_rules_parameter is not None
    assert aws.routing_rules_env == f"ssm:{aws.routing_rules_parameter}"
    value = aws.ssm().get_parameter(Name=aws.routing_rules_parameter)["Parameter"]["Value"]
    assert json.loads(value)["rules"][0]["target"] == "q-2"


def test_handler_env_names_the_contract_variables(aws: LocalAws) -> None:
    env = aws.handler_env("http://127.0.0.1:9999")

    assert env["AWS_ENDPOINT_URL"] == aws.endpoint_url
    assert env["AWS_ENDPOINT_URL_CONNECT"] == "http://127.0.0.1:9999"
    assert env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env[EnvVar.DLQ_URL] == aws.dlq_url
    assert env[EnvVar.ALERT_TOPIC_ARN] == aws.alert_topic_arn
    assert env[EnvVar.IDEMPOTENCY_TABLE] == aws.idempotency_table
    assert EnvVar.CONNECT_INSTANCE_ID not in env  # the caller's to add
    assert "AWS_ENDPOINT_URL_LAMBDA" not in env

    with_bus = aws.handler_env("http://127.0.0.1:9999", bus_endpoint_url="http://127.0.0.1:8888")
    assert (
        with_bus["AWS_ENDPOINT_URL_EVENTBRIDGE"]
        == with_bus["AWS_ENDPOINT_URL_LAMBDA"]
        == "http://127.0.0.1:8888"
    )


def test_plain_boto3_clients_reach_moto_through_the_env(
    aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = aws.handler_env("http://127.0.0.1:9999")
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    # No endpoint_url, region or credentials in code: exactly what the handler does.
    boto3.client("sqs").send_message(QueueUrl=env[EnvVar.DLQ_URL], MessageBody='{"n": 1}')
    boto3.client("sns").publish(
        TopicArn=env[EnvVar.ALERT_TOPIC_ARN],
        Subject="Escalation dead-lettered",
        Message=json.dumps({"escalationId": "e-1"}),
        MessageAttributes={"severity": {"DataType": "String", "StringValue": "high"}},
    )
    boto3.client("dynamodb").put_item(
        TableName=env[EnvVar.IDEMPOTENCY_TABLE], Item={"id": {"S": "k-1"}, "expiration": {"N": "1"}}
    )

    assert [m.json() for m in aws.peek_dlq()] == [{"n": 1}]
    assert [m.json() for m in aws.peek_dlq()] == [{"n": 1}], "peeking leaves messages in place"
    alerts = aws.alerts()
    assert len(alerts) == 1
    assert alerts[0].subject == "Escalation dead-lettered"
    assert alerts[0].json() == {"escalationId": "e-1"}
    assert alerts[0].topic_arn == aws.alert_topic_arn
    assert alerts[0].message_attributes["severity"]["Value"] == "high"
    assert aws.alerts() == [], "alerts are consumed by default"
    item = aws.dynamodb().get_item(TableName=aws.idempotency_table, Key={"id": {"S": "k-1"}})
    assert item["Item"]["expiration"] == {"N": "1"}


def test_drain_and_purge_empty_the_queues(aws: LocalAws) -> None:
    sqs = aws.sqs()
    for n in range(12):  # more than one receive batch
        sqs.send_message(QueueUrl=aws.dlq_url, MessageBody=json.dumps({"n": n}))

    assert sorted(r["n"] for r in aws.dlq_records()) == list(range(12))
    assert len(aws.drain_dlq()) == 12
    assert aws.peek_dlq() == []

    sqs.send_message(QueueUrl=aws.dlq_url, MessageBody="x")
    aws.sns().publish(TopicArn=aws.alert_topic_arn, Message="y")
    aws.purge()
    assert aws.peek_dlq() == []
    assert aws.alerts() == []


def test_emptied_tables_have_no_items_and_the_same_keys_and_index() -> None:
    with LocalAws() as own:
        ddb = own.dynamodb()
        before = {
            t: ddb.describe_table(TableName=t)["Table"] for t in (own.idempotency_table, own.ledger_table)
        }
        ddb.put_item(TableName=own.idempotency_table, Item={"id": {"S": "k"}})
        ddb.put_item(TableName=own.ledger_table, Item={"chainId": {"S": "c"}, "escalationId": {"S": "e"}})

        own.empty_tables()

        for table, description in before.items():
            assert ddb.scan(TableName=table)["Count"] == 0
            after = ddb.describe_table(TableName=table)["Table"]
            assert after["KeySchema"] == description["KeySchema"]
            assert after.get("GlobalSecondaryIndexes", []) == description.get("GlobalSecondaryIndexes", [])
        ttl = ddb.describe_time_to_live(TableName=own.idempotency_table)["TimeToLiveDescription"]
        assert ttl["AttributeName"] == "expiration"


def test_two_instances_do_not_share_resources(aws: LocalAws) -> None:
    with LocalAws() as other:
        assert other.name_prefix != aws.name_prefix
        assert other.dlq_url != aws.dlq_url
        assert other.routing_rules_parameter is None
        other.sqs().send_message(QueueUrl=other.dlq_url, MessageBody="other")
        assert aws.peek_dlq() == []
