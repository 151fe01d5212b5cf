"""The composition root: every client from one session, each with its adapter's configuration."""

from typing import Any

import boto3

from escalation import composition
from escalation.adapters.connect import CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS
from escalation.config import settings


def test_connect_clients_retry_in_standard_mode_within_the_attempt_budget_asked_for(
    handler_env: dict[str, str], aws_session: boto3.session.Session
) -> None:
    clients = composition.aws_clients(aws_session)
    for attempts in (1, 4):
        config: Any = clients.connect(attempts).meta.config  # botocore sets its fields dynamically
        assert config.retries == {"mode": "standard", "total_max_attempts": attempts}
        assert (config.connect_timeout, config.read_timeout) == (
            CONNECT_TIMEOUT_SECONDS,
            READ_TIMEOUT_SECONDS,
        )
    # One client per budget, kept across invocations.
    assert clients.connect(4) is clients.connect(4)


def test_the_idempotency_table_client_has_a_short_retry_budget(
    handler_env: dict[str, str], aws_session: boto3.session.Session
) -> None:
    config: Any = composition.aws_clients(aws_session).dynamodb.meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}
    assert (config.connect_timeout, config.read_timeout) == (1, 2)


def test_the_idempotency_store_uses_the_client_it_is_given(
    handler_env: dict[str, str], aws_session: boto3.session.Session
) -> None:
    clients = composition.aws_clients(aws_session)
    built = composition.build_components(settings(), clients)
    assert built.idempotency.persistence.client is clients.dynamodb
