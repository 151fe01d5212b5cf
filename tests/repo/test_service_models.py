"""The trimmed service models the function ships: current with botocore, and complete for each call."""

from typing import Any

import pytest

from escalation import contract
from tools import service_models


def test_the_committed_models_are_what_the_pinned_botocore_gives() -> None:
    # After a botocore upgrade, `make models` brings them up to date.
    assert service_models.main(["--check"]) == 0


def test_a_trimmed_model_keeps_the_operations_their_shapes_and_errors_and_drops_the_rest() -> None:
    full = service_models.full_model(service_models.newest_version_dir("connect"))
    trimmed = service_models.trimmed_model(full, ["TransferContact"])
    assert set(trimmed["operations"]) == {"TransferContact"}
    assert trimmed["metadata"] == full["metadata"]
    errors = {error["shape"] for error in full["operations"]["TransferContact"]["errors"]}
    assert errors <= trimmed["shapes"].keys()
    assert {"TransferContactRequest", "TransferContactResponse"} <= trimmed["shapes"].keys()
    assert "DescribeContactResponse" not in trimmed["shapes"]

    def documented(node: Any) -> bool:
        if isinstance(node, dict):
            return "documentation" in node or any(documented(value) for value in node.values())
        return isinstance(node, list) and any(documented(value) for value in node)

    assert documented(full["operations"]["TransferContact"])
    assert not documented(trimmed)


def test_an_operation_the_service_does_not_have_is_refused() -> None:
    full = service_models.full_model(service_models.newest_version_dir("events"))
    with pytest.raises(KeyError):
        service_models.trimmed_model(full, ["NoSuchOperation"])


def test_one_model_per_service_the_contract_names() -> None:
    services = {path.parts[0] for path in service_models.committed()}
    assert services == set(contract.TRIMMED_MODEL_OPERATIONS)
