"""The composition root: every client from one session, each with its adapter's configuration."""

import os
from pathlib import Path
from typing import Any

import boto3
import pytest

from escalation import composition, contract
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


def test_every_escalations_clients_load_the_trimmed_models_and_other_clients_botocores_own(
    handler_env: dict[str, str], aws_session: boto3.session.Session
) -> None:
    clients = composition.aws_clients(aws_session)
    per_call = {"connect": clients.connect(1), "dynamodb": clients.dynamodb, "events": clients.events}
    for service, client in per_call.items():
        operations = set(client.meta.service_model.operation_names)
        assert operations == set(contract.TRIMMED_MODEL_OPERATIONS[service]), service
    assert "SendMessage" in clients.sqs().meta.service_model.operation_names
    assert len(clients.sns().meta.service_model.operation_names) > 1  # the full model


def test_a_data_path_already_set_is_still_searched_after_the_trimmed_models(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    data_path = composition.aws_session()._session.get_config_variable("data_path")
    assert data_path.split(os.pathsep) == [str(composition.TRIMMED_MODELS_DIR), str(tmp_path)]
