"""The Escalate app's build and its words: one small bundle, and a sentence for every answer the API
documents (openapi.json) or can give (the error tables in the code)."""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from escalation.domain import policy
from escalation.domain.policy import ApiAnswer
from escalation.triggers import api_errors, api_guard, api_ledger_routes
from infra.gateway_responses import GATEWAY_ANSWERS
from local.desktop import APP_DIST, build_desktop

REPO_ROOT = Path(__file__).resolve().parents[2]
ANSWERS = json.loads((REPO_ROOT / "desktop" / "src" / "answers.json").read_text())
MAX_GZIPPED_BYTES = 150 * 1024
# A code in a response description: a word of capitals with an underscore (NO_ROUTE), or one that a
# colon, a closing parenthesis or "or" follows (FORBIDDEN: ...), which plain words (JSON, ARN) are not.
_CODE = re.compile(r"\b([A-Z][A-Z0-9]*_[A-Z0-9_]+|[A-Z]{4,}(?=:|\)| or ))")


@pytest.fixture(scope="module")
def dist() -> Path:
    build_desktop(REPO_ROOT)
    return APP_DIST


def test_the_build_is_one_page_one_bundle_one_stylesheet(dist: Path) -> None:
    assert sorted(path.name for path in dist.iterdir()) == ["app.css", "app.js", "index.html"]
    page = (dist / "index.html").read_text()
    assert '<script type="module" src="app.js"></script>' in page
    assert "<script>" not in page  # no inline code: the deployed Content-Security-Policy forbids it


def test_the_app_is_at_most_150_kb_gzipped(dist: Path) -> None:
    gzipped = sum(len(gzip.compress(path.read_bytes(), compresslevel=9)) for path in dist.iterdir())
    assert gzipped <= MAX_GZIPPED_BYTES, f"{gzipped} bytes gzipped"


def _schema_codes(node: Any, codes: set[str]) -> None:
    """Adds the enums and examples of every `error` property, and every example's `error`, under node."""
    if isinstance(node, list):
        for value in node:
            _schema_codes(value, codes)
        return
    if not isinstance(node, dict):
        return
    properties = node.get("properties")
    error = properties.get("error") if isinstance(properties, dict) else None
    if isinstance(error, dict):
        codes.update(str(value) for value in [*error.get("enum", []), *error.get("examples", [])])
    example = node.get("example")
    if isinstance(example, dict) and "error" in example:
        codes.add(str(example["error"]))
    for value in node.values():
        _schema_codes(value, codes)


def _documented_codes(document: Any) -> set[str]:
    """The error codes openapi.json gives for its error answers: enums and examples of `error`, and
    codes named in the descriptions of answers with a 4xx or 5xx status."""
    codes: set[str] = set()
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, answer in operation.get("responses", {}).items():
                if status.isdigit() and int(status) >= 400:
                    codes.update(_CODE.findall(answer.get("description", "")))
                    _schema_codes(answer, codes)
    return codes


def test_every_error_code_openapi_documents_has_a_sentence() -> None:
    documented = _documented_codes(json.loads((REPO_ROOT / "openapi.json").read_text()))
    assert {"FORBIDDEN", "NO_ROUTE", "INVALID_BODY"} <= documented, "the extraction finds nothing"
    missing = sorted(documented - set(ANSWERS["codes"]))
    assert missing == [], f"desktop/src/answers.json has no sentence for {missing}"


def _answers_in(value: Any, depth: int = 0) -> Iterator[ApiAnswer]:
    if isinstance(value, ApiAnswer):
        yield value
    elif depth < 3 and isinstance(value, dict):
        for item in value.values():
            yield from _answers_in(item, depth + 1)
    elif depth < 3 and isinstance(value, list | tuple):
        for item in value:
            yield from _answers_in(item, depth + 1)
    elif depth < 3 and dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from _answers_in(getattr(value, item.name), depth + 1)


def _code_sources() -> list[ModuleType]:
    return [policy, api_errors, api_guard, api_ledger_routes]


def test_every_error_code_the_service_can_answer_has_a_sentence() -> None:
    codes = {
        answer.code
        for module in _code_sources()
        for value in vars(module).values()
        for answer in _answers_in(value)
        if answer.status >= 400
    }
    codes |= {answer.code for answer in GATEWAY_ANSWERS}
    # Powertools' own errors, as the handler names them.
    codes |= set(api_errors._GATEWAY_CODES.values())
    assert {"THROTTLED", "UPSTREAM_UNAVAILABLE", "TRANSFER_LIMIT_REACHED", "REQUEST_REFUSED"} <= codes
    missing = sorted(codes - set(ANSWERS["codes"]))
    assert missing == [], f"desktop/src/answers.json has no sentence for {missing}"


def test_every_error_status_has_a_fallback_sentence() -> None:
    document = json.loads((REPO_ROOT / "openapi.json").read_text())
    statuses = {
        status
        for operations in document["paths"].values()
        for operation in operations.values()
        for status in operation.get("responses", {})
        if status.isdigit() and int(status) >= 400
    }
    assert statuses - set(ANSWERS["statuses"]) == set()
