"""Where the routing rules come from: a file bundled with the Lambda, or an SSM parameter.

The SSM parameter is read through Powertools Parameters with caching, so rules change without a deploy
and without an SSM call per invocation.
"""

from functools import cache, lru_cache
from pathlib import Path

from aws_lambda_powertools.utilities import parameters

from escalation.domain.routing import RoutingRules, parse_rules

# The Lambda code root (the folder that holds the `escalation` package).
CODE_ROOT = Path(__file__).resolve().parents[2]


@cache
def rules_from_file(path: str) -> RoutingRules:
    file = Path(path) if Path(path).is_absolute() else CODE_ROOT / path
    return parse_rules(file.read_bytes())


def rules_from_ssm(name: str, max_age_seconds: int) -> RoutingRules:
    document = parameters.get_parameter(name, max_age=max_age_seconds)
    return _parse_cached(document)


@lru_cache(maxsize=4)
def _parse_cached(document: str) -> RoutingRules:
    # Parameters caches the string; this caches its validation until the string changes.
    return parse_rules(document)


def clear_caches() -> None:
    """Forget loaded rules (tests and the local stack change them inside one process)."""
    rules_from_file.cache_clear()
    _parse_cached.cache_clear()
    parameters.clear_caches()  # type: ignore[no-untyped-call]  # Powertools leaves it untyped
