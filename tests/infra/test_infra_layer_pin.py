"""The Powertools layer path is derived from requirements.txt's exact pin, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_lambda_powertools.shared.version import VERSION as POWERTOOLS_VERSION

from infra.compute import pinned_requirement, powertools_layer_parameter

pytestmark = pytest.mark.infra


def test_layer_parameter_names_the_release_the_tests_import() -> None:
    assert powertools_layer_parameter() == (
        f"/aws/service/powertools/python/arm64/python3.13/{POWERTOOLS_VERSION}"
    )


def test_pin_is_read_with_extras_and_comments(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        "# comment\naws-lambda-powertools-extra==9.9.9\naws-lambda-powertools[tracer,parser]==3.1.4  # pin\n"
    )
    assert pinned_requirement(requirements, "aws-lambda-powertools") == "3.1.4"
    assert powertools_layer_parameter(requirements).endswith("/python3.13/3.1.4")


def test_a_range_instead_of_a_pin_is_refused(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("aws-lambda-powertools>=3\n")
    with pytest.raises(ValueError, match="pins no exact version"):
        powertools_layer_parameter(requirements)
