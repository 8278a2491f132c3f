"""Voiding a burst of signatures or supports (issue #18, item 8): staff open a burst from the trending list (an
item, a network, a time window), review the rows it matches and void them with a reason; an undo puts them back.
An aggregator like the staff console: it knows the two channels whose rows carry a network hash (never ballots)."""

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from participation.core import jobs
from participation.core.audit import audit
from participation.core.errors import Conflict, NotFound, ValidationError
from participation.core.input import clean_text
from participation.core.networks import KEY_DAYS, Burst, hashes_for
from participation.core.permissions import Role, require_role
from participation.core.time import utcnow
from participation.core.trending import subnet_of
from participation.extensions import db
from participation.petitions.models import Petition, Signature
from participation.proposals.models import Proposal, Support

REASON_MAX = 500


@dataclass(frozen=True)
class Channel:
    rows: type  # Signature or Support
    item_column: object
    item_model: type
    subject_type: str  # the audit's (and the public moderation log's) subject


CHANNELS = {
    "petitions": Channel(Signature, Signature.petition_id, Petition, "petition"),
    "proposals": Channel(Support, Support.proposal_id, Proposal, "proposal"),
}


def _recount(channel: str, item_id: int) -> None:
    if channel == "petitions":
        jobs.schedule("recount:petition", item_id)
    else:
        jobs.schedule("recount:proposal", item_id)


def _parse_network(value) -> str | None:
    """An address or a network, as its /24 (IPv4) or /64 (IPv6)."""
    if not isinstance(value, str) or not value.strip() or len(value) > 50:
        return None
    text = value.strip()
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    return subnet_of(str(network.network_address))


def _aware(value) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else None


def _check_window(start, end, errors: dict) -> tuple[datetime | None, datetime | None]:
    start, end = _aware(start), _aware(end)
    if start is None:
        errors["window_start"] = _l("시작 시각을 시간대와 함께 적어 주세요 (예: 2026-05-01T09:00+09:00).")
    if end is None:
        errors["window_end"] = _l("끝 시각을 시간대와 함께 적어 주세요 (예: 2026-05-01T18:00+09:00).")
    if start and end and not start < end:
        errors["window_end"] = _l("끝 시각은 시작 시각보다 뒤여야 합니다.")
    elif start and end and start < utcnow() - timedelta(days=KEY_DAYS - 1):
        errors["window_start"] = _l("최근 %(days)d일 안의 참여만 찾을 수 있습니다.", days=KEY_DAYS - 1)
    return start, end


def _matching(channel: Channel, item_id: int, network: str, start: datetime, end: datetime, *conditions):
    hashes = hashes_for(network, start, end)
    return (channel.item_column == item_id, channel.rows.network_hash.in_(hashes),
            channel.rows.created_at >= start, channel.rows.created_at <= end, *conditions)


def open_burst(actor, channel_name, item_id, network, start, end) -> Burst:
    """Staff open a burst to review it: how many of the item's rows came from the network in the window."""
    require_role(actor, Role.staff)
    errors = {}
    channel = CHANNELS.get(channel_name)
    if channel is None:
        errors["channel"] = _l("서명(petitions)이나 공감(proposals)만 무효 처리할 수 있습니다.")
    parsed = _parse_network(network)
    if parsed is None:
        errors["network"] = _l("IP 주소나 대역을 적어 주세요 (예: 203.0.113.0/24).")
    start, end = _check_window(start, end, errors)
    if isinstance(item_id, bool) or not isinstance(item_id, int):
        errors["item_id"] = _l("항목 번호를 적어 주세요.")
    if errors:
        raise ValidationError(errors)
    if db.session.get(channel.item_model, item_id) is None:
        raise NotFound()
    matched = len(db.session.scalars(select(channel.rows.id).where(
        *_matching(channel, item_id, parsed, start, end, channel.rows.void_id.is_(None)))).all())
    burst = Burst(channel=channel_name, item_id=item_id, network=parsed, window_start=start, window_end=end,
                  matched=matched, opened_by_id=actor.id)
    db.session.add(burst)
    db.session.flush()
    return burst


def get_burst(burst_id: int) -> Burst:
    burst = db.session.get(Burst, burst_id)
    if burst is None:
        raise NotFound(_l("그런 몰린 참여 기록이 없습니다."))
    return burst


def burst_rows(burst: Burst) -> list:
    """The rows the burst matches now (voided by it, or still counting), oldest first, for the review page."""
    channel = CHANNELS[burst.channel]
    statement = select(channel.rows).where(channel.item_column == burst.item_id)
    if burst.voided_at is not None:
        statement = statement.where(channel.rows.void_id == burst.id)
    else:
        statement = statement.where(*_matching(channel, burst.item_id, burst.network, burst.window_start,
                                               burst.window_end, channel.rows.void_id.is_(None)))
    return list(db.session.scalars(statement.order_by(channel.rows.created_at)))


def void(actor, burst_id: int, reason) -> Burst:
    """Void the burst's rows: they stay, marked, and stop counting; the count is recomputed; audited `voided`."""
    require_role(actor, Role.staff)
    burst = get_burst(burst_id)
    reason = clean_text(reason, "reason", REASON_MAX, missing=_l("무효 처리 사유를 입력해 주세요."))
    if burst.voided_at is not None:
        raise Conflict(_l("이미 무효 처리한 참여입니다."), code="already_voided")
    channel = CHANNELS[burst.channel]
    voided = db.session.execute(update(channel.rows).where(*_matching(
        channel, burst.item_id, burst.network, burst.window_start, burst.window_end,
        channel.rows.void_id.is_(None))).values(void_id=burst.id).execution_options(synchronize_session=False))
    burst.voided_at, burst.voided_count, burst.reason = utcnow(), voided.rowcount, reason
    audit(actor, channel.subject_type, burst.item_id, "voided", reason)
    _recount(burst.channel, burst.item_id)
    return burst


def unvoid(actor, burst_id: int) -> Burst:
    """Undo a void: its rows count again; audited `unvoided`. Undoing twice is a 409."""
    require_role(actor, Role.staff)
    burst = get_burst(burst_id)
    if burst.voided_at is None:
        raise Conflict(_l("무효 처리되어 있지 않습니다."), code="not_voided")
    channel = CHANNELS[burst.channel]
    db.session.execute(update(channel.rows).where(channel.rows.void_id == burst.id).values(void_id=None)
                       .execution_options(synchronize_session=False))
    audit(actor, channel.subject_type, burst.item_id, "unvoided", burst.reason)
    burst.voided_at, burst.voided_count = None, 0
    _recount(burst.channel, burst.item_id)
    return burst
