"""Every dead-letter record carries a KMS HMAC over its canonical content (record_mac.py), which KMS
VerifyMac accepts with the stack's key only; without KMS the record is still written, unsigned."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalation.dead_letter_signing import MacUnavailable, SignedDeadLetters
from escalation.record_mac import (
    MAC_ALGORITHM,
    MAC_FIELD,
    canonical,
    decode_mac,
    event_message,
    mac_in_error_message,
    record_message,
    retry_error_message,
)
from tests.unit.harness import AwsWorld

Invoke = Callable[[Any], Any]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def verifies(aws: AwsWorld, message: bytes, mac: bytes, key_id: str | None = None) -> bool:
    try:
        answer = aws.kms.verify_mac(
            Message=message, Mac=mac, KeyId=key_id or aws.mac_key_id, MacAlgorithm=MAC_ALGORITHM
        )
    except aws.kms.exceptions.KMSInvalidMacException:
        return False
    return bool(answer["MacValid"])


def test_a_handler_record_carries_a_mac_that_verifies_with_the_stacks_key(
    invoke: Invoke, aws: AwsWorld
) -> None:
    invoke({"detail-type": "Contact SLA Breached", "source": "escalation.sla", "detail": {}})
    (record,) = aws.dead_letters()
    mac = decode_mac(record[MAC_FIELD])
    assert mac is not None
    assert verifies(aws, record_message(record), mac)
    # The MAC is over the content: one changed field and it no longer verifies.
    assert not verifies(aws, record_message({**record, "errorCode": "OTHER"}), mac)
    # Nor does it verify with another HMAC key of the account.
    other = aws.kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    assert not verifies(aws, record_message(record), mac, other)


class _Recorder:
    def __init__(self) -> None:
        self.sent: list[Mapping[str, Any]] = []

    def send(self, record: Mapping[str, Any]) -> None:
        self.sent.append(record)


class _NoKms:
    def mac(self, message: bytes) -> bytes:
        raise MacUnavailable("KMS did not answer")


class _Fixed:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    def mac(self, message: bytes) -> bytes:
        self.messages.append(message)
        return b"\x01" * 32


def test_without_kms_the_record_is_still_written_without_a_mac() -> None:
    sent = _Recorder()
    SignedDeadLetters(sent, _NoKms()).send({"kind": "escalation-dead-letter", "mac": "forged"})
    assert sent.sent == [{"kind": "escalation-dead-letter"}]


def test_a_mac_already_in_the_record_is_replaced_not_signed() -> None:
    sent, authenticator = _Recorder(), _Fixed()
    SignedDeadLetters(sent, authenticator).send({"a": 1, MAC_FIELD: "planted"})
    assert authenticator.messages == [record_message({"a": 1})]
    assert decode_mac(sent.sent[0][MAC_FIELD]) == b"\x01" * 32


@given(JSON, st.randoms())
def test_the_canonical_form_ignores_key_order_and_whitespace(value: Any, rnd: Any) -> None:
    def shuffled(item: Any) -> Any:
        if isinstance(item, dict):
            keys = list(item)
            rnd.shuffle(keys)
            return {key: shuffled(item[key]) for key in keys}
        if isinstance(item, list):
            return [shuffled(element) for element in item]
        return item

    assert canonical(shuffled(value)) == canonical(value)
    assert b"\n" not in canonical(value).replace(b"\\n", b"")


def test_records_and_retried_events_are_never_the_same_message() -> None:
    assert record_message({"a": 1}) != event_message({"a": 1})
    # KMS takes at most 4,096 bytes; a record may hold 250 KB: the message is a digest.
    assert len(record_message({"big": "x" * 250_000})) < 4096


@pytest.mark.parametrize("mac", [b"\x00" * 32, bytes(range(32))])
def test_a_retry_error_carries_the_events_mac(mac: bytes) -> None:
    assert mac_in_error_message(retry_error_message("ThrottlingException after 4 attempt(s)", mac)) == mac
    assert mac_in_error_message("ThrottlingException after 4 attempt(s)") is None
    assert mac_in_error_message(None) is None


def test_the_harness_knows_the_id_secret_the_handler_derives(aws: AwsWorld) -> None:
    # The unit tests predict escalation ids with TEST_ID_SECRET; it must be what KMS (moto) answers.
    from escalation.domain.identity import ID_SECRET_LABEL  # noqa: PLC0415
    from tests.unit.harness import MAC_KEY_ALIAS, TEST_ID_SECRET  # noqa: PLC0415

    answer = aws.kms.generate_mac(Message=ID_SECRET_LABEL, KeyId=MAC_KEY_ALIAS, MacAlgorithm=MAC_ALGORITHM)
    assert answer["Mac"] == TEST_ID_SECRET
