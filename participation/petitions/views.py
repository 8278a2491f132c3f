"""Petition pages: browse, file, sign; the moderation queue; the staff answer list."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from participation.core import consoles, networks, workspace
from participation.core.errors import NotFound, ValidationError
from participation.core.forms import ConfirmForm, ReasonForm, apply_errors, moderation_reason, require_valid
from participation.core.limits import filing_limit, participation_limit, report_limit
from participation.core.pagination import page_arguments, paginate
from participation.core.permissions import Role, require_role
from participation.core.reports import file_report
from participation.core.response_cache import cached_for_anonymous
from participation.core.seoul import CATEGORIES
from participation.core.settings import get_setting
from participation.core.time import utcnow
from participation.extensions import db
from participation.petitions import queries, services
from participation.petitions.forms import AnswerForm, InterimAnswerForm, PetitionForm, ReportForm
from participation.petitions.models import KIND_LABELS, PUBLIC_STATES, STATE_LABELS, PetitionKind, PetitionState

bp = Blueprint("petitions", __name__, url_prefix="/petitions")

consoles.register(consoles.MODERATION, consoles.ConsoleEntry(
    "petitions", _l("청원 검토 대기"), queries.pending_count, "petitions.moderation"))
consoles.register(consoles.STAFF, consoles.ConsoleEntry(
    "petition_answers", _l("답변할 청원"), queries.awaiting_answer_count, "petitions.answers"))
consoles.register(consoles.STAFF, consoles.ConsoleEntry(
    "petition_debates", _l("토론회 안건 (시민참여 토론회 청구)"), queries.debate_agenda_count,
    "petitions.debate_agenda"))

workspace.register_kind(workspace.Kind(
    services.SUBJECT, text=lambda petition: petition.body,
    acts={"publish": workspace.move(services.LIFECYCLE, PetitionState.open),
          "reject": workspace.move(services.LIFECYCLE, PetitionState.rejected),
          "hide": workspace.move(services.LIFECYCLE, PetitionState.hidden),
          "dismiss": workspace.dismissal(services.SUBJECT)},
    waiting=lambda: list(db.session.scalars(queries.moderation_queue())),
    since=lambda petition: petition.submitted_at, reasons=services.REJECTION_REASONS))
workspace.register_kind(workspace.Kind(services.ANSWER_SUBJECT, text=lambda answer: answer.body,
                                       acts={"dismiss": workspace.dismissal(services.ANSWER_SUBJECT)}))
workspace.register_queue(workspace.Queue("petitions", _l("청원 검토"), (services.SUBJECT, services.ANSWER_SUBJECT),
                                         "PETITION_REVIEW_DAYS", "petitions.moderation"))


def rejection_reasons() -> dict[str, str]:
    """The reason list, translated once per page rather than once per petition on it."""
    return {code: str(label) for code, label in services.REJECTION_REASONS.items()}


def _moderators_only() -> None:
    require_role(current_user, Role.moderator)


def _staff_only() -> None:
    require_role(current_user, Role.staff)


@bp.get("")
@cached_for_anonymous
def index():
    args = request.args
    status = args.get("status", "open")
    filters = {
        "status": status if status in set(PUBLIC_STATES) else None,
        "kind": args.get("kind") if args.get("kind") in set(PetitionKind) else None,
        "category": args.get("category") if args.get("category") in CATEGORIES else None,
        "q": (args.get("q") or "").strip()[:queries.Q_MAX],
        "sort": args.get("sort") if args.get("sort") in queries.SORTS else "newest",
    }
    page, per_page = page_arguments(20)
    result = paginate(queries.public_list(**filters), page, per_page)
    return render_template("petitions/index.html", page=result, filters=filters, kinds=KIND_LABELS,
                           states={state: STATE_LABELS[state] for state in PUBLIC_STATES},
                           days=get_setting("PETITION_SIGNATURE_DAYS"),
                           threshold=get_setting("PETITION_ANSWER_THRESHOLD"))


@bp.route("/new", methods=["GET", "POST"])
@login_required
@filing_limit
def new():
    form = PetitionForm()
    if request.method == "GET" and request.args.get("title"):
        form.title.data = request.args["title"][:200]
    if form.validate_on_submit():
        try:
            petition = services.file_petition(current_user, form.title.data, form.body.data, form.kind.data,
                                              form.category.data, submit=request.form.get("action") != "draft")
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            flash(_("임시 저장했습니다.") if petition.state == PetitionState.draft
                  else _("청원을 제출했습니다. 검토 후 공개됩니다."), "success")
            return redirect(url_for("petitions.detail", petition_id=petition.id), 303)
    similar = queries.similar(form.title.data) if form.title.data else []
    return render_template("petitions/form.html", form=form, petition=None, similar=similar,
                           searched=bool(form.title.data)), 422 if form.errors else 200


@bp.get("/similar")
def similar():
    """The similar-petitions list as an HTML fragment, for the script that updates it while typing."""
    title = (request.args.get("title") or "")[:200]
    return render_template("petitions/_similar.html", similar=queries.similar(title), searched=bool(title.strip()))


@bp.get("/<int:petition_id>")
@cached_for_anonymous
def detail(petition_id):
    petition = services.get_visible(petition_id, current_user)
    show_content = petition.state != PetitionState.hidden or services.can_moderate(current_user) \
        or services.is_author(petition, current_user)
    return render_template(
        "petitions/detail.html", petition=petition, show_content=show_content,
        signed=services.has_signed(petition, current_user), collecting=services.is_collecting(petition),
        is_author=services.is_author(petition, current_user), chart=queries.district_chart(petition),
        reasons=rejection_reasons(), voids=networks.voided_bursts("petitions", petition.id),
        confirm=ConfirmForm(), report_form=ReportForm(), now=utcnow())


@bp.route("/<int:petition_id>/edit", methods=["GET", "POST"])
@login_required
def edit(petition_id):
    petition = services.get_visible(petition_id, current_user)
    if petition.state != PetitionState.draft:
        raise NotFound()
    form = PetitionForm(obj=petition)
    if form.validate_on_submit():
        try:
            services.update_draft(petition, current_user, form.title.data, form.body.data, form.kind.data,
                                  form.category.data)
            if request.form.get("action") != "draft":
                services.transition(petition, PetitionState.pending, current_user)
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            flash(_("임시 저장했습니다.") if petition.state == PetitionState.draft
                  else _("청원을 제출했습니다. 검토 후 공개됩니다."), "success")
            return redirect(url_for("petitions.detail", petition_id=petition.id), 303)
    return render_template("petitions/form.html", form=form, petition=petition, similar=[], searched=False), \
        422 if form.errors else 200


@bp.post("/<int:petition_id>/submit")
@login_required
def submit(petition_id):
    petition = services.get_visible(petition_id, current_user)
    services.transition(petition, PetitionState.pending, current_user)
    db.session.commit()
    flash(_("청원을 제출했습니다. 검토 후 공개됩니다."), "success")
    return redirect(url_for("petitions.detail", petition_id=petition.id), 303)


@bp.post("/<int:petition_id>/sign")
@login_required
@participation_limit
def sign(petition_id):
    services.sign(petition_id, current_user)
    db.session.commit()
    flash(_("서명했습니다. 서명 수는 잠시 후 반영됩니다."), "success")
    return redirect(url_for("petitions.detail", petition_id=petition_id), 303)


@bp.post("/<int:petition_id>/withdraw")
@login_required
@participation_limit
def withdraw(petition_id):
    services.withdraw(petition_id, current_user)
    db.session.commit()
    flash(_("서명을 철회했습니다."), "success")
    return redirect(url_for("petitions.detail", petition_id=petition_id), 303)


@bp.post("/<int:petition_id>/report")
@login_required
@report_limit
def report(petition_id):
    petition = services.get_visible(petition_id, current_user)
    form = ReportForm()
    require_valid(form)
    if form.target.data == "answer":
        if petition.answer is None:
            raise NotFound()
        file_report(current_user, services.ANSWER_SUBJECT, petition.answer.id, form.reason.data, form.category.data,
                    author_id=petition.answer.answered_by_id)
    else:
        file_report(current_user, services.SUBJECT, petition.id, form.reason.data, form.category.data,
                    author_id=petition.author_id)
    db.session.commit()
    flash(_("신고를 접수했습니다. 검토 후 처리합니다."), "success")
    return redirect(url_for("petitions.detail", petition_id=petition.id), 303)


ACTION_LABELS = {
    "created": _l("작성"), "edited": _l("수정"), "answer_extended": _l("답변 기한 연장"),
    "interim_answer": _l("중간 답변 등록"), "debate_threshold_reached": _l("토론회 기준 도달"),
    "reports_upheld": _l("신고 인정"), "reports_dismissed": _l("신고 기각"),
}


def action_label(action: str) -> str:
    """"pending->open" reads "검토 중 → 서명 진행 중"."""
    old, arrow, new = action.partition("->")
    if arrow and old in set(PetitionState) and new in set(PetitionState):
        return f"{STATE_LABELS[PetitionState(old)]} → {STATE_LABELS[PetitionState(new)]}"
    return str(ACTION_LABELS.get(action, action))


@bp.get("/<int:petition_id>/history")
def history(petition_id):
    petition = services.get_visible(petition_id, current_user)
    return render_template("petitions/history.html", petition=petition, entries=queries.history(petition.id),
                           moderator=services.can_moderate(current_user), action_label=action_label)


@bp.get("/mine")
@login_required
def mine():
    return render_template("petitions/mine.html", authored=queries.authored_by(current_user.id),
                           signed=queries.signed_by(current_user.id))


# Moderation (검토)

@bp.get("/moderation")
@login_required
def moderation():
    _moderators_only()
    return workspace.render("petitions")


def _back_to_queue():
    return redirect(url_for("petitions.moderation", page=request.args.get("page", type=int)) + "#queue", 303)


@bp.post("/<int:petition_id>/publish")
@login_required
def publish(petition_id):
    _moderators_only()
    petition = services.get_visible(petition_id, current_user)
    services.transition(petition, PetitionState.open, current_user)
    db.session.commit()
    flash(_("'%(title)s' 청원을 공개했습니다.", title=petition.title), "success")
    return _back_to_queue()


@bp.post("/<int:petition_id>/reject")
@login_required
def reject(petition_id):
    _moderators_only()
    petition = services.get_visible(petition_id, current_user)
    reason, category = moderation_reason(services.REJECTION_REASONS)
    services.transition(petition, PetitionState.rejected, current_user, reason, category=category)
    db.session.commit()
    flash(_("'%(title)s' 청원을 반려했습니다.", title=petition.title), "success")
    return _back_to_queue()


@bp.post("/<int:petition_id>/hide")
@login_required
def hide(petition_id):
    _moderators_only()
    petition = services.get_visible(petition_id, current_user)
    reason, category = moderation_reason()
    services.transition(petition, PetitionState.hidden, current_user, reason, category=category)
    db.session.commit()
    flash(_("'%(title)s' 청원을 숨겼습니다.", title=petition.title), "success")
    return redirect(url_for("petitions.detail", petition_id=petition.id), 303)


# Staff: answers and the debate agenda

@bp.get("/answers")
@login_required
def answers():
    _staff_only()
    return render_template("petitions/answers.html", petitions=queries.awaiting_answer(), now=utcnow(),
                           answer_days=get_setting("PETITION_ANSWER_DAYS"),
                           extension_days=get_setting("PETITION_EXTENSION_DAYS"))


@bp.route("/<int:petition_id>/answer", methods=["GET", "POST"])
@login_required
def answer(petition_id):
    _staff_only()
    petition = services.get_visible(petition_id, current_user)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            services.answer(petition, current_user, form.department.data, form.body.data, form.links.data)
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            flash(_("답변을 등록했습니다."), "success")
            return redirect(url_for("petitions.detail", petition_id=petition.id), 303)
    return render_template("petitions/answer.html", petition=petition, form=form, extend_form=ReasonForm(),
                           interim_form=InterimAnswerForm(obj=petition), now=utcnow()), 422 if form.errors else 200


@bp.post("/<int:petition_id>/interim")
@login_required
def interim(petition_id):
    _staff_only()
    petition = services.get_visible(petition_id, current_user)
    form = InterimAnswerForm()
    require_valid(form)
    services.write_interim_answer(petition, current_user, form.interim_answer.data)
    db.session.commit()
    flash(_("중간 답변을 등록했습니다."), "success")
    return redirect(url_for("petitions.answer", petition_id=petition.id), 303)


@bp.post("/<int:petition_id>/extend")
@login_required
def extend(petition_id):
    _staff_only()
    petition = services.get_visible(petition_id, current_user)
    services.extend_answer_deadline(petition, current_user, request.form.get("reason"))
    db.session.commit()
    flash(_("답변 기한을 연장했습니다."), "success")
    return redirect(url_for("petitions.answer", petition_id=petition.id), 303)


@bp.get("/debate-agenda")
@login_required
def debate_agenda():
    _staff_only()
    return render_template("petitions/debate_agenda.html", petitions=queries.debate_agenda())
