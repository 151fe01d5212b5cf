"""Where the routing rules come from: a file bundled with the Lambda, or an SSM parameter.

The SSM parameter is read through Powertools Parameters with caching, so rules change without a deploy
and without an SSM call per invocation.
"""

from pathlib import Path
from typing import TYPE_CHECKING

from escalation.domain.routing import RoutingRules, parse_rules

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

# The Lambda code root (the folder that holds the `escalation` package).
CODE_ROOT = Path(__file__).resolve().parents[2]


def rules_from_file(path: str) -> RoutingRules:
    file = Path(path) if Path(path).is_absolute() else CODE_ROOT / path
    return parse_rules(file.read_bytes())


class SsmRoutingRules:
    """The rules in one SSM parameter, fetched at most once per `max_age_seconds`."""

    def __init__(self, client: "SSMClient", name: str, max_age_seconds: int) -> None:
        # Imported here: a function whose rules are a bundled file never loads the Parameters utility.
        from aws_lambda_powertools.utilities.parameters import SSMProvider  # noqa: PLC0415

        self._provider = SSMProvider(boto3_client=client)
        self._name = name
        self._max_age_seconds = max_age_seconds
        self._parsed: tuple[str, RoutingRules] | None = None

    def __call__(self) -> RoutingRules:
        document = self._provider.get(self._name, max_age=self._max_age_seconds)
        if not isinstance(document, str):
            raise TypeError(f"SSM parameter {self._name} did not read as a string")
        # The provider caches the string; this keeps its validation until the string changes.
        if self._parsed is None or self._parsed[0] != document:
            self._parsed = (document, parse_rules(document))
        return self._parsed[1]
