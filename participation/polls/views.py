"""Poll pages: list, vote (choose → confirm → receipt), results, bulletin, create, staff console, moderation."""

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from participation.core import consoles, shown_once, storage, workspace
from participation.core import images as core_images
from participation.core.audit import history
from participation.core.csv import table_response
from participation.core.errors import Conflict, DomainError, NotFound, ValidationError
from participation.core.forms import ConfirmForm, ReportForm, apply_errors, moderation_reason, require_valid
from participation.core.limits import filing_limit, participation_limit, report_limit
from participation.core.moderation_log import REMOVALS
from participation.core.pagination import page_arguments, paginate
from participation.core.permissions import Role, require_role
from participation.core.response_cache import cached_for_anonymous
from participation.core.seoul import AGE_BAND_LABELS
from participation.extensions import db
from participation.polls import images, queries, services
from participation.polls.forms import ExtendForm, OptionImageForm, PollForm, TransitionForm, kst_to_utc
from participation.polls.models import TAG_LABELS, Poll, PollOption, PollState

bp = Blueprint("polls", __name__, url_prefix="/polls")
bp.add_app_template_global(queries.option_image_url, "poll_option_image_url")
# Official tags read as their names ("10대 뉴스"), never as the code that feeds indicator 2.4.d.
bp.add_app_template_filter(lambda tag: str(TAG_LABELS.get(tag, tag)), "poll_tag")
RECEIPTS_KEY = "poll_receipts"

consoles.register(consoles.MODERATION, consoles.ConsoleEntry(
    "polls", _l("시민 엠보팅 검토"), queries.pending_count, "polls.moderation"))
consoles.register(consoles.STAFF, consoles.ConsoleEntry(
    "polls", _l("엠보팅 관리 (준비 중·예약)"), queries.drafts_count, "polls.manage"))


def _poll_text(poll: Poll) -> str:
    """A poll as a moderator reads it: its description, then its options, numbered."""
    return "\n\n".join([poll.description, "\n".join(f"{n}. {option.label}" for n, option in
                                                     enumerate(poll.options, 1))]).strip()


workspace.register_kind(workspace.Kind(
    services.SUBJECT, text=_poll_text,
    acts={"publish": workspace.move(services.LIFECYCLE, PollState.open),
          "reject": workspace.move(services.LIFECYCLE, PollState.rejected),
          "hide": workspace.move(services.LIFECYCLE, PollState.hidden),
          "dismiss": workspace.dismissal(services.SUBJECT)},
    waiting=queries.waiting_for_moderation, since=lambda poll: poll.created_at))
workspace.register_queue(workspace.Queue("polls", _l("시민 엠보팅 검토"), (services.SUBJECT,), "POLL_REVIEW_DAYS",
                                         "polls.moderation"))


def parse_choices(values: list[str]) -> list[int]:
    if not all(value.isascii() and value.isdigit() and len(value) <= 10 for value in values):
        raise ValidationError({"choices": _l("이 투표에 없는 선택지입니다.")})
    return [int(value) for value in values]


@bp.get("")
@cached_for_anonymous
def index():
    page, per_page = page_arguments(20)
    finished = paginate(queries.public_polls().where(Poll.state.in_([PollState.closed, PollState.tallied])),
                        page, per_page)
    upcoming = db.session.scalars(queries.public_polls(status=PollState.scheduled).limit(20)).all()
    open_polls = queries.open_polls(current_user)
    eligible = {poll.id for poll in open_polls
                if current_user.is_authenticated and services.eligibility_problem(poll, current_user) is None}
    return render_template("polls/index.html", open_polls=open_polls, eligible=eligible, upcoming=upcoming,
                           finished=finished)


@bp.get("/<int:poll_id>")
@cached_for_anonymous
def detail(poll_id):
    poll = services.get_visible(poll_id, current_user)
    problem = services.eligibility_problem(poll, current_user) if current_user.is_authenticated else None
    return render_template("polls/detail.html", poll=poll, open_now=services.is_open_for_voting(poll),
                           voted=queries.participated(poll, current_user), problem=problem,
                           results_hidden=queries.results_hidden(poll), form=ConfirmForm(),
                           reason_form=TransitionForm(), selected=set())


@bp.post("/<int:poll_id>/confirm")
@login_required
def confirm(poll_id):
    """The confirm step: show what was chosen; nothing is stored until the voter presses 투표하기."""
    poll = services.get_visible(poll_id, current_user)
    services.require_may_vote(poll, current_user)
    form = ConfirmForm()
    try:
        chosen = services.check_choices(poll, parse_choices(request.form.getlist("choice")))
    except ValidationError as error:
        problem = services.eligibility_problem(poll, current_user)
        apply_errors(form, error)
        return render_template("polls/detail.html", poll=poll, open_now=services.is_open_for_voting(poll),
                               voted=queries.participated(poll, current_user), problem=problem,
                               results_hidden=queries.results_hidden(poll), form=form,
                               reason_form=TransitionForm(),
                               selected={value for value in request.form.getlist("choice")}), 422
    options = [option for option in poll.options if option.id in chosen]
    return render_template("polls/confirm.html", poll=poll, options=options, form=ConfirmForm())


@bp.post("/<int:poll_id>/vote")
@login_required
@participation_limit
def vote(poll_id):
    poll = services.get_visible(poll_id, current_user, for_vote=True)
    try:
        receipt = services.cast_ballot(poll, current_user, parse_choices(request.form.getlist("choice")))
    except DomainError as error:
        db.session.rollback()
        flash(error.summary(), "error")
        return redirect(url_for("polls.detail", poll_id=poll.id), 303)
    db.session.commit()
    # Shown once on the next page from a server-side entry (the session carries only its random token: a signed
    # cookie is readable); never logged. Without Redis, shown at once on this answer instead.
    token = shown_once.keep(receipt)
    if token is None:
        return receipt_page(poll, receipt, voted=True)
    session[RECEIPTS_KEY] = {**session.get(RECEIPTS_KEY, {}), str(poll.id): token}
    return redirect(url_for("polls.receipt", poll_id=poll.id), 303)


@bp.get("/<int:poll_id>/receipt")
@login_required
def receipt(poll_id):
    poll = services.get_visible(poll_id, current_user)
    tokens = dict(session.get(RECEIPTS_KEY, {}))
    token = tokens.pop(str(poll.id), None)
    if token is not None:
        session[RECEIPTS_KEY] = tokens
    return receipt_page(poll, shown_once.take(token), voted=queries.participated(poll, current_user))


def receipt_page(poll, code: str | None, voted: bool):
    response = make_response(render_template(
        "polls/receipt.html", poll=poll, receipt=code, receipt_hash=services.receipt_hash(code) if code else None,
        voted=voted, batch=current_app.config["MIX_BATCH"]))
    response.headers["Cache-Control"] = "no-store"  # not kept by the browser: shown once
    return response


@bp.get("/<int:poll_id>/results")
def results(poll_id):
    poll = services.get_visible(poll_id, current_user)
    queries.require_results_visible(poll)
    return render_template("polls/results.html", poll=poll, results=queries.results(poll),
                           turnout=queries.turnout(poll), age_labels=AGE_BAND_LABELS,
                           batch=current_app.config["MIX_BATCH"])


@bp.route("/<int:poll_id>/receipts", methods=["GET", "POST"])
def bulletin(poll_id):
    """The public bulletin; a receipt is looked up by POST so that the code never stands in a URL (history,
    proxies and referrers keep URLs)."""
    poll = services.get_visible(poll_id, current_user)
    page, per_page = page_arguments(100)
    lookup = (request.form.get("receipt") or "").strip()[:100] if request.method == "POST" else ""
    found = queries.find_receipt(poll, lookup) if lookup else None
    response = make_response(render_template(
        "polls/bulletin.html", poll=poll, page=paginate(queries.receipts(poll), page, per_page), found=found,
        batch=current_app.config["MIX_BATCH"]))
    if request.method == "POST":
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/new", methods=["GET", "POST"])
@login_required
@filing_limit
def create():
    form = PollForm()
    if form.validate_on_submit():
        try:
            poll = services.create_poll(current_user, **form.service_fields())
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            if poll.state == PollState.pending:
                flash(_("투표를 만들었습니다. 검토를 거쳐 공개됩니다."), "success")
                return redirect(url_for("polls.detail", poll_id=poll.id), 303)
            flash(_("초안을 만들었습니다. 미리 보고 여세요."), "success")
            return redirect(url_for("polls.manage_poll", poll_id=poll.id), 303)
    return render_template("polls/new.html", form=form), 422 if form.errors else 200


@bp.get("/manage")
@login_required
def manage():
    require_role(current_user, Role.staff)
    state = request.args.get("state")
    if state not in {s.value for s in PollState}:
        state = None
    page, per_page = page_arguments(50)
    return render_template("polls/manage.html", page=paginate(queries.managed_polls(state), page, per_page),
                           state=state, states=[s for s in PollState if s != PollState.pending])


@bp.get("/<int:poll_id>/manage")
@login_required
def manage_poll(poll_id):
    require_role(current_user, Role.staff)
    poll = services.get_visible(poll_id, current_user)
    return render_template("polls/manage_poll.html", poll=poll, reason_form=TransitionForm(),
                           extend_form=ExtendForm(), allowed=services.LIFECYCLE.allowed(poll.state),
                           entries=history(services.SUBJECT, poll.id), image_form=OptionImageForm(),
                           images_editable=poll.by_staff and poll.state in images.EDITABLE_STATES)


@bp.post("/<int:poll_id>/options/<int:option_id>/image")
@login_required
def set_option_image(poll_id, option_id):
    """Add or replace an option's picture (staff, while the poll is a draft or scheduled)."""
    require_role(current_user, Role.staff)
    poll = services.get_visible(poll_id, current_user)
    option = images.get_option(poll, option_id)
    form = OptionImageForm()
    try:
        require_valid(form)
        images.set_image(option, form.image.data.read(core_images.MAX_BYTES + 1), current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.summary(), "error")
        return redirect(url_for("polls.manage_poll", poll_id=poll.id, _anchor="option-images"), 303)
    db.session.commit()
    flash(_("선택지 '%(label)s'의 이미지를 올렸습니다.", label=option.label), "success")
    return redirect(url_for("polls.manage_poll", poll_id=poll.id, _anchor="option-images"), 303)


@bp.post("/<int:poll_id>/options/<int:option_id>/image/delete")
@login_required
def remove_option_image(poll_id, option_id):
    require_role(current_user, Role.staff)
    poll = services.get_visible(poll_id, current_user)
    option = images.get_option(poll, option_id)
    require_valid(ConfirmForm())
    images.remove_image(option, current_user)
    db.session.commit()
    flash(_("선택지 '%(label)s'의 이미지를 지웠습니다.", label=option.label), "success")
    return redirect(url_for("polls.manage_poll", poll_id=poll.id, _anchor="option-images"), 303)


@bp.get("/options/<int:option_id>/image")
def option_image(option_id):
    """An option's picture, to whoever may see the poll (a draft or a pending citizen poll: 404)."""
    option = db.session.get(PollOption, option_id)
    if option is None or option.image_name is None:
        raise NotFound()
    poll = services.get_visible(option.poll_id, current_user)
    return storage.send(images.image_key(option), option.image_content_type, max_age=3600,
                        private=poll.state not in queries.PUBLIC_STATES)


@bp.post("/<int:poll_id>/transitions/<to>")
@login_required
def change_state(poll_id, to):
    poll = services.get_visible(poll_id, current_user)
    form = TransitionForm()
    require_valid(form)
    reason, category = form.reason.data, None
    if to in REMOVALS:
        require_role(current_user, Role.moderator)  # who may, before what the form lacks
        reason, category = moderation_reason()
    services.transition(poll, to, current_user, reason, category=category)
    db.session.commit()
    flash(_("투표 상태를 바꿨습니다: %(state)s", state=poll.state), "success")
    if current_user.has_role(Role.staff) and poll.by_staff:
        return redirect(url_for("polls.manage_poll", poll_id=poll.id), 303)
    return redirect(url_for("polls.detail", poll_id=poll.id), 303)


@bp.post("/<int:poll_id>/extend")
@login_required
def extend(poll_id):
    poll = services.get_visible(poll_id, current_user)
    form = ExtendForm()
    require_valid(form)
    services.extend(poll, kst_to_utc(form.closes_at.data), current_user, form.reason.data)
    db.session.commit()
    flash(_("마감 시각을 미뤘습니다."), "success")
    return redirect(url_for("polls.manage_poll", poll_id=poll.id), 303)


@bp.get("/<int:poll_id>/export.csv", defaults={"fmt": "csv"})
@bp.get("/<int:poll_id>/export.xlsx", defaults={"fmt": "xlsx"})
@login_required
def export(poll_id, fmt):
    """The final result as CSV or XLSX (staff), once the poll is tallied."""
    require_role(current_user, Role.staff)
    poll = services.get_visible(poll_id, current_user)
    if poll.state != PollState.tallied:
        raise Conflict(_l("최종 집계가 끝난 투표만 내보낼 수 있습니다."), code="not_tallied")
    positions = {option.id: option.position for option in poll.options}
    rows = [[poll.id, poll.title, row["id"], positions[row["id"]], row["label"], row["votes"], row["share"],
             poll.total_ballots, poll.tally_as_of, poll.tally_digest] for row in queries.results(poll)["options"]]
    return table_response(["poll_id", "title", "option_id", "position", "label", "votes", "share_percent",
                           "total_ballots", "as_of", "digest"], rows, f"poll-{poll.id}-result", fmt)


@bp.post("/<int:poll_id>/reports")
@login_required
@report_limit
def report(poll_id):
    poll = services.get_visible(poll_id, current_user)
    form = ReportForm()
    require_valid(form)
    services.report(poll, current_user, form.reason.data, form.category.data)
    db.session.commit()
    flash(_("신고했습니다. 검토 후 처리합니다."), "success")
    return redirect(url_for("polls.detail", poll_id=poll.id), 303)


@bp.get("/moderation")
@login_required
def moderation():
    require_role(current_user, Role.moderator)
    return workspace.render("polls")
