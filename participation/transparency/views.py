"""Pages: the public moderation log and its monthly report (open data in CSV and JSON), and an author's appeal
against the rejection or hiding of their own item (core/appeals.py)."""

import re
from datetime import timedelta

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from participation.core import appeals, moderation_log
from participation.core.csv import table_response
from participation.core.forms import MODERATION_REASONS, require_valid
from participation.core.pagination import page_arguments
from participation.core.reports import REPORT_REASONS
from participation.core.time import utcnow
from participation.extensions import db

bp = Blueprint("transparency", __name__)

LOG_FIELDS = ("at", "channel", "item_type", "item_id", "title", "act", "reason", "automatic")


class AppealForm(FlaskForm):
    text = TextAreaField(_l("이의 신청 내용"), validators=[InputRequired(), Length(max=appeals.TEXT_MAX)])


def _channel() -> str | None:
    channel = request.args.get("channel") or None
    return channel if channel in moderation_log.CHANNEL_LABELS else None


@bp.get("/moderation-log")
def log():
    page, per_page = page_arguments(50)
    channel = _channel()
    return render_template("transparency/log.html", page=moderation_log.log_page(page, per_page, channel),
                           channel=channel, channels=moderation_log.CHANNEL_LABELS)


@bp.get("/moderation-log.<any(csv, json):fmt>")
def log_data(fmt):
    """The whole log as open data (newest first)."""
    rows = [row.as_json() for row in moderation_log.rows(
        list(db.session.scalars(moderation_log.statement(_channel()))))]
    if fmt == "json":
        return jsonify({"fields": list(LOG_FIELDS), "items": rows})
    return table_response(LOG_FIELDS, ([row[name] for name in LOG_FIELDS] for row in rows), "moderation-log")


MONTHLY_FIELDS = ("month", "channel", "act", "reason", "count", "decisions", "median_decision_hours", "sla_days",
                  "within_sla")


def _month() -> str:
    """?month=YYYY-MM (Seoul time), this month when missing or malformed."""
    month = request.args.get("month") or ""
    if re.fullmatch(r"(19|20)\d\d-(0[1-9]|1[0-2])", month):
        return month
    return moderation_log.month_of(utcnow())


def _reports(month: str) -> list[moderation_log.MonthReport]:
    channel = _channel()
    channels = [channel] if channel else sorted({subject.channel for subject in moderation_log.SUBJECTS.values()},
                                                key=list(moderation_log.CHANNEL_LABELS).index)
    return [moderation_log.monthly(name, month) for name in channels]


@bp.get("/moderation-log/monthly")
def monthly():
    month = _month()
    start, _end = moderation_log.month_bounds(month)
    previous = moderation_log.month_of(start - timedelta(days=1))
    following = moderation_log.month_of(start + timedelta(days=32))
    return render_template("transparency/monthly.html", month=month, reports=_reports(month), previous=previous,
                           following=following if following <= moderation_log.month_of(utcnow()) else None,
                           channel=_channel(), channels=moderation_log.CHANNEL_LABELS,
                           acts=moderation_log.ACT_LABELS, reasons=moderation_log.REASON_LABELS)


@bp.get("/moderation-log/monthly.<any(csv, json):fmt>")
def monthly_data(fmt):
    month = _month()
    rows = [{"month": month, "channel": report.channel, "act": act, "reason": reason, "count": count,
             "decisions": report.decisions, "median_decision_hours": report.median_hours,
             "sla_days": report.sla_days, "within_sla": report.within_sla}
            for report in _reports(month) for (act, reason), count in sorted(report.reasons.items())]
    if fmt == "json":
        reports = [{"channel": report.channel, "acts": dict(report.acts), "automatic": report.automatic,
                    "reasons": [{"act": act, "reason": reason, "count": count}
                                for (act, reason), count in sorted(report.reasons.items())],
                    "decisions": report.decisions, "median_decision_hours": report.median_hours,
                    "sla_days": report.sla_days, "within_sla": report.within_sla} for report in _reports(month)]
        return jsonify({"month": month, "channels": reports})
    return table_response(MONTHLY_FIELDS, ([row[name] for name in MONTHLY_FIELDS] for row in rows),
                          f"moderation-{month}")


@bp.post("/appeals/<subject>/<int:item_id>")
@login_required
def appeal(subject, item_id):
    if subject not in appeals.APPEALABLE:
        abort(404)
    form = AppealForm()
    require_valid(form)
    entry = appeals.APPEALABLE[subject]
    appeals.file_appeal(current_user, subject, item_id, form.text.data)
    item = db.session.get(entry.model, item_id)
    db.session.commit()
    flash(_("이의 신청을 접수했습니다. 처음 결정하지 않은 다른 검토자가 살펴보고 결과를 알려 드립니다."), "success")
    return redirect(entry.path(item), 303)


def standing(subject: str, item):
    """For templates: the author's view of a removed item (decision, reason, appeal), or None."""
    return appeals.standing(subject, item, current_user)


@bp.app_context_processor
def appeal_helpers():
    return {"appeal_standing": standing, "appeal_form": AppealForm, "now_utc": utcnow,
            "moderation_reasons": MODERATION_REASONS, "report_reasons": REPORT_REASONS}
