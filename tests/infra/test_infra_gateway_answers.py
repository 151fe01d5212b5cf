"""The gateway's own answers: the API's error shape, valid JSON once API Gateway fills the message."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from infra.gateway_responses import GATEWAY_ANSWERS, GATEWAY_MESSAGE, GatewayAnswer

pytestmark = pytest.mark.infra

API_DOC = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")


def rendered(answer: GatewayAnswer, gateway_message: str) -> object:
    # $context.error.messageString is the message already JSON-quoted and escaped.
    return json.loads(answer.body_template().replace(GATEWAY_MESSAGE, json.dumps(gateway_message)))


@pytest.mark.parametrize("answer", GATEWAY_ANSWERS, ids=lambda a: a.response_type)
def test_body_is_the_error_shape_even_with_quotes_in_the_message(answer: GatewayAnswer) -> None:
    body = rendered(answer, 'Invalid "thing"\n')
    assert body == {"error": answer.code, "message": answer.message or 'Invalid "thing"\n'}


def test_the_types_api_gateway_answers_itself_are_covered() -> None:
    types = {a.response_type for a in GATEWAY_ANSWERS}
    assert {
        "BAD_REQUEST_BODY",
        "UNAUTHORIZED",
        "ACCESS_DENIED",
        "THROTTLED",
        "REQUEST_TOO_LARGE",
        "DEFAULT_4XX",
        "DEFAULT_5XX",
    } <= types
    assert len(types) == len(GATEWAY_ANSWERS)


@pytest.mark.parametrize("answer", GATEWAY_ANSWERS, ids=lambda a: a.response_type)
def test_every_code_is_in_the_api_doc_error_table(answer: GatewayAnswer) -> None:
    assert re.search(rf"`{answer.code}`", API_DOC), answer.code
