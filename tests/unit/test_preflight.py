"""Connect's own rules, checked before TransferContact: channel, active contact, the transfer limit."""

import pytest

from escalation.domain.errors import EscalationRefused
from escalation.domain.model import Contact, ContactAttribute
from escalation.domain.policy import Refusal
from escalation.domain.preflight import MAX_TRANSFERS_PER_CONTACT, check_transferable


def contact(
    channel: str = "TASK",
    *,
    ended: bool = False,
    transfers: int | None = None,
    attributes: dict[str, str] | None = None,
) -> Contact:
    attrs = dict(attributes or {})
    if transfers is not None:
        attrs[ContactAttribute.TRANSFER_COUNT] = str(transfers)
    return Contact("c-1", "c-1", channel, ended, attributes=attrs)


def refusal_of(contact_: Contact, *, resuming: bool = False) -> Refusal:
    with pytest.raises(EscalationRefused) as raised:
        check_transferable(contact_, resuming=resuming)
    return raised.value.reason


@pytest.mark.parametrize("channel", ["TASK", "EMAIL"])
def test_task_and_email_contacts_are_transferable(channel: str) -> None:
    check_transferable(contact(channel))


@pytest.mark.parametrize("channel", ["VOICE", "CHAT", "", "task", "SMS"])
def test_other_channels_are_refused(channel: str) -> None:
    assert refusal_of(contact(channel)) is Refusal.CHANNEL_NOT_TRANSFERABLE


def test_the_channel_is_checked_before_anything_else() -> None:
    # An ended VOICE contact at the limit is still, first of all, a channel Connect never transfers.
    assert refusal_of(contact("VOICE", ended=True, transfers=11)) is Refusal.CHANNEL_NOT_TRANSFERABLE


def test_an_ended_contact_is_refused() -> None:
    assert refusal_of(contact(ended=True)) is Refusal.CONTACT_ENDED


def test_the_limit_is_eleven_transfers() -> None:
    assert MAX_TRANSFERS_PER_CONTACT == 11


def test_ten_earlier_transfers_allow_an_eleventh() -> None:
    check_transferable(contact(transfers=10))


@pytest.mark.parametrize("transfers", [11, 12, 50])
def test_eleven_earlier_transfers_refuse_a_twelfth(transfers: int) -> None:
    refused = refusal_of(contact(transfers=transfers))
    assert refused is Refusal.TRANSFER_LIMIT_REACHED


@pytest.mark.parametrize("garbled", ["", "eleven", "-3", "1.5"])
def test_a_garbled_transfer_count_counts_as_none(garbled: str) -> None:
    check_transferable(contact(attributes={ContactAttribute.TRANSFER_COUNT: garbled}))


def test_resuming_allows_an_ended_contact() -> None:
    # The earlier attempt of this very escalation may have moved the contact: it is replayed.
    check_transferable(contact(ended=True, transfers=1), resuming=True)


def test_resuming_does_not_count_its_own_transfer_twice() -> None:
    # The attributes already count this escalation's transfer: 11 recorded = 10 before it.
    check_transferable(contact(transfers=11), resuming=True)
    assert refusal_of(contact(transfers=12), resuming=True) is Refusal.TRANSFER_LIMIT_REACHED


def test_resuming_does_not_make_a_voice_contact_transferable() -> None:
    assert refusal_of(contact("VOICE"), resuming=True) is Refusal.CHANNEL_NOT_TRANSFERABLE
