"""Proposal pages: list, propose, detail with supports and comments, moderation, and the staff desk
(departments, due dates, national portal import, youth committee entry)."""

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from participation.core import consoles, networks, storage, workspace
from participation.core import images as core_images
from participation.core.errors import DomainError, NotFound, ValidationError
from participation.core.forms import ConfirmForm, ReasonForm, ReportForm, apply_errors, moderation_reason, require_valid
from participation.core.limits import filing_limit, participation_limit, report_limit
from participation.core.moderation_log import REMOVALS
from participation.core.pagination import page_arguments, paginate
from participation.core.permissions import Role, require_role
from participation.core.reports import file_report
from participation.core.response_cache import cached_for_anonymous
from participation.core.time import utcnow
from participation.extensions import db
from participation.proposals import discussion, forms, images, importer, queries, services
from participation.proposals import moderation as moderating
from participation.proposals.models import (
    SOURCE_LABELS,
    STATE_LABELS,
    Comment,
    ProposalImage,
)

bp = Blueprint("proposals", __name__, url_prefix="/proposals")

consoles.register(consoles.MODERATION, consoles.ConsoleEntry(
    "proposals", _l("시민제안 검토 대기"), queries.pending_count, "proposals.moderation"))
consoles.register(consoles.STAFF, consoles.ConsoleEntry(
    "proposals", _l("시민제안 부서 검토 (기한 지남)"), queries.overdue_count, "proposals.staff_desk"))
consoles.register(consoles.STAFF, consoles.ConsoleEntry(
    "proposals_mayor", _l("시민제안 서울시장 답변 대기"), queries.awaiting_mayor_count, "proposals.staff_desk"))
workspace.register_kind(workspace.Kind(
    services.SUBJECT, text=lambda proposal: proposal.body,
    acts={"publish": workspace.move(services.LIFECYCLE, "open"),
          "reject": workspace.move(services.LIFECYCLE, "rejected"),
          "hide": workspace.move(services.LIFECYCLE, "hidden"),
          "dismiss": workspace.dismissal(services.SUBJECT)},
    waiting=queries.pending_for_moderation, since=lambda proposal: proposal.submitted_at))
workspace.register_kind(workspace.Kind(
    services.COMMENT_SUBJECT, text=lambda comment: comment.body,
    acts={"hide": workspace.Act(run=moderating.hide_comment, possible=lambda comment: comment.hidden_at is None),
          "dismiss": workspace.dismissal(services.COMMENT_SUBJECT)}))
workspace.register_queue(workspace.Queue("proposals", _l("시민제안 검토"), (services.SUBJECT, services.COMMENT_SUBJECT),
                                         "PROPOSAL_REVIEW_DAYS", "proposals.moderation"))

IMPORT_NAME = re.compile(r"[0-9a-f]{32}\.(csv|xlsx)")


def describe(action: str) -> str:
    """An audit action of a proposal in words: "pending->open" is "검토 대기 → 공감 모으는 중"."""
    words = {"submitted": _("접수"), "edited": _("작성자가 고침"), "interim_answer": _("중간 답변 등록"),
             "discussion_threshold_reached": _("공론장 기준 도달"), "imported->open": _("국민제안에서 가져와 공개"),
             "mayor_answer_requested": _("공론장 참여 기준 도달: 서울시장 답변 요청"),
             "mayor_answered": _("서울시장 답변 등록"), "answer_extended": _("답변 기한 연장"),
             "import_updated": _("국민제안 내보내기로 내용 갱신"), "entered->open": _("청소년 참여위원회 제안 등록"),
             "reports_upheld": _("신고 처리"), "reports_dismissed": _("신고 기각")}
    if action in words:
        return words[action]
    old, arrow, new = action.partition("->")
    if arrow and old in STATE_LABELS and new in STATE_LABELS:
        return f"{STATE_LABELS[old]} → {STATE_LABELS[new]}"
    kind, _colon, value = action.partition(":")
    if kind == "department":
        return _("담당 부서 지정")
    if kind == "merged_from":
        return _("제안 %(id)s번을 통합", id=value)
    if kind == "discussion_opened":
        return _("공감 기준 도달: 공론장 %(id)s번 열림", id=value)
    if kind == "forum_moved_from":
        return _("통합된 제안 %(id)s번의 공론장을 이어받음", id=value)
    if kind == "image_removed":
        return _("사진 삭제")
    return action


def _uploads(field) -> list[bytes]:
    files = [storage for storage in (field.data or []) if getattr(storage, "filename", "")]
    return [storage.read(core_images.MAX_BYTES + 1) for storage in files]


def _fail(form, error: DomainError) -> None:
    db.session.rollback()
    if isinstance(error, ValidationError):
        apply_errors(form, error)
    else:
        form.form_errors.append(str(error.message))


# --- public -------------------------------------------------------------------------------------------------

@bp.get("")
@cached_for_anonymous
def index():
    args = request.args
    filters = {name: (args.get(name) or "").strip()[:100] or None
               for name in ("q", "category", "district", "status", "source")}
    sort = args.get("sort") if args.get("sort") in queries.SORTS else "newest"
    mine = args.get("mine") == "1" and current_user.is_authenticated
    statement = queries.own_list(current_user.id) if mine else queries.public_list(**filters, sort=sort)
    page, per_page = page_arguments(20)
    return render_template("proposals/index.html", page=paginate(statement, page, per_page), mine=mine,
                           filters=filters, sort=sort, states=queries.LISTED_STATES, state_labels=STATE_LABELS,
                           source_labels=SOURCE_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@login_required
@filing_limit
def new():
    form = forms.ProposalForm()
    if form.validate_on_submit():
        try:
            photos = images.check_uploads(_uploads(form.images))
            proposal = services.submit(current_user, form.proposal_data())
            images.attach_images(proposal, photos)
        except DomainError as error:
            _fail(form, error)
        else:
            db.session.commit()
            flash(_("제안을 접수했습니다. 검토 후 공개됩니다."), "success")
            return redirect(url_for("proposals.detail", proposal_id=proposal.id), 303)
    return render_template("proposals/form.html", form=form, proposal=None), 422 if form.errors else 200


@bp.route("/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
@filing_limit
def edit(proposal_id):
    proposal = services.get_visible(proposal_id, current_user)
    if proposal.author_id != current_user.id:
        raise NotFound(_l("제안을 찾을 수 없습니다."))
    form = forms.ProposalForm(obj=proposal if request.method == "GET" else None)
    if request.method == "GET":
        form.district.data = proposal.district or ""
    if form.validate_on_submit():
        try:
            photos = images.check_uploads(_uploads(form.images), proposal)
            services.edit(proposal, current_user, form.proposal_data())
            images.attach_images(proposal, photos)
        except DomainError as error:
            _fail(form, error)
        else:
            db.session.commit()
            flash(_("제안을 고쳤습니다."), "success")
            return redirect(url_for("proposals.detail", proposal_id=proposal.id), 303)
    return render_template("proposals/form.html", form=form, proposal=proposal), 422 if form.errors else 200


@bp.get("/<int:proposal_id>")
@cached_for_anonymous
def detail(proposal_id):
    proposal = services.get_visible(proposal_id, current_user)
    staff = current_user.is_authenticated and current_user.has_role(Role.staff)
    assign = forms.AssignForm(department_id=proposal.department_id)
    assign.department_id.choices = [(d.id, d.name) for d in queries.departments()] if staff else []
    allowed = services.LIFECYCLE.allowed(proposal.state)
    merging = "merged" in allowed and current_user.is_authenticated and current_user.has_role(Role.moderator)
    keyword = request.args.get("merge_q", "")[:100].strip()
    candidates = queries.merge_candidates(proposal, keyword or None) if merging else []
    return render_template(
        "proposals/detail.html", proposal=proposal, threads=queries.comment_threads(proposal.id),
        voids=networks.voided_bursts("proposals", proposal.id),
        history=queries.proposal_history(proposal.id), supported=services.has_supported(proposal, current_user),
        following=services.is_following(proposal, current_user), confirm=ConfirmForm(),
        comment_form=forms.CommentForm(), transition_form=forms.TransitionForm(), merge_form=forms.MergeForm(),
        answer_form=forms.AnswerForm(), interim_form=forms.InterimAnswerForm(), extend_form=ReasonForm(),
        assign_form=assign,
        mayor_form=forms.MayorAnswerForm(), image_form=forms.ImageRemovalForm(), report_form=ReportForm(),
        allowed=allowed, describe=describe, merge_candidates=candidates, merge_keyword=keyword)


@bp.get("/images/<int:image_id>")
def image(image_id):
    row = db.session.get(ProposalImage, image_id)
    if row is None:
        raise NotFound()
    proposal = services.get_visible(row.proposal_id, current_user)
    # Public only while the proposal is (a pending or hidden one's photo is for its author and moderators); a
    # minute, so that a photo a moderator removes, or of a proposal hidden later, soon leaves shared caches.
    return storage.send(images.image_key(row), row.content_type, max_age=core_images.PUBLIC_MAX_AGE,
                        private=proposal.state not in services.PUBLIC_STATES)


@bp.post("/<int:proposal_id>/images/<int:image_id>/remove")
@login_required
def remove_image(proposal_id, image_id):
    proposal = services.get_visible(proposal_id, current_user)
    row = db.session.get(ProposalImage, image_id)
    if row is None or row.proposal_id != proposal.id:
        raise NotFound(_l("사진을 찾을 수 없습니다."))
    form = forms.ImageRemovalForm()
    require_valid(form)
    images.remove_image(row, current_user, form.reason.data)
    db.session.commit()
    flash(_("사진을 지웠습니다."), "success")
    return redirect(url_for("proposals.detail", proposal_id=proposal_id), 303)


# --- taking part --------------------------------------------------------------------------------------------

@bp.post("/<int:proposal_id>/support")
@login_required
@participation_limit
def support(proposal_id):
    require_valid(ConfirmForm())
    services.support(services.get_visible(proposal_id, current_user, row_only=True), current_user)
    db.session.commit()
    flash(_("공감했습니다. 공감 수는 잠시 후 반영됩니다."), "success")
    return redirect(url_for("proposals.detail", proposal_id=proposal_id), 303)


@bp.post("/<int:proposal_id>/withdraw")
@login_required
@participation_limit
def withdraw(proposal_id):
    require_valid(ConfirmForm())
    services.withdraw_support(services.get_visible(proposal_id, current_user), current_user)
    db.session.commit()
    flash(_("공감을 취소했습니다."), "success")
    return redirect(url_for("proposals.detail", proposal_id=proposal_id), 303)


@bp.post("/<int:proposal_id>/follow")
@login_required
def follow(proposal_id):
    proposal = services.get_visible(proposal_id, current_user)
    require_valid(ConfirmForm())
    if request.form.get("stop") == "1":
        services.unfollow(proposal, current_user)
        flash(_("이 제안의 알림을 끊었습니다."), "success")
    else:
        services.follow(proposal, current_user)
        flash(_("상태가 바뀌거나 답변이 오면 알려 드립니다."), "success")
    db.session.commit()
    return redirect(url_for("proposals.detail", proposal_id=proposal_id), 303)


@bp.post("/<int:proposal_id>/comments")
@login_required
@participation_limit
def comment(proposal_id):
    proposal = services.get_visible(proposal_id, current_user)
    form = forms.CommentForm()
    require_valid(form)
    parent = form.parent_id.data
    parent_id = int(parent) if parent and parent.isdigit() else (None if not parent else -1)
    moderating.add_comment(proposal, current_user, form.body.data, parent_id)
    db.session.commit()
    flash(_("댓글을 달았습니다."), "success")
    return redirect(url_for("proposals.detail", proposal_id=proposal_id) + "#comments", 303)


@bp.post("/<int:proposal_id>/report")
@login_required
@report_limit
def report(proposal_id):
    proposal = services.get_visible(proposal_id, current_user)
    form = ReportForm()
    require_valid(form)
    comment_id = request.form.get("comment_id", "")
    if comment_id:
        target = db.session.get(Comment, int(comment_id)) if comment_id.isdigit() else None
        if target is None or target.proposal_id != proposal_id:
            raise NotFound()
        file_report(current_user, services.COMMENT_SUBJECT, target.id, form.reason.data, form.category.data,
                    author_id=target.author_id)
    else:
        file_report(current_user, services.SUBJECT, proposal_id, form.reason.data, form.category.data,
                    author_id=proposal.author_id)
    db.session.commit()
    flash(_("신고를 접수했습니다. 검토자가 확인합니다."), "success")
    return redirect(url_for("proposals.detail", proposal_id=proposal_id), 303)


# --- moderation ---------------------------------------------------------------------------------------------

@bp.get("/moderation")
@login_required
def moderation():
    require_role(current_user, Role.moderator)
    return workspace.render("proposals")


@bp.post("/<int:proposal_id>/transition")
@login_required
def transition(proposal_id):
    proposal = services.get_visible(proposal_id, current_user)
    form = forms.TransitionForm()
    require_valid(form)
    reason, category = form.reason.data, None
    if form.to.data in REMOVALS:
        require_role(current_user, Role.moderator)  # who may, before what the form lacks
        reason, category = moderation_reason()
    services.transition(proposal, form.to.data, current_user, reason, category=category)
    db.session.commit()
    flash(_("'%(state)s' 상태로 바꿨습니다.", state=proposal.state_label), "success")
    if request.form.get("back") == "moderation":
        return redirect(url_for("proposals.moderation"), 303)
    return redirect(url_for("proposals.detail", proposal_id=proposal_id), 303)


@bp.post("/<int:proposal_id>/merge")
@login_required
def merge(proposal_id):
    proposal = services.get_visible(proposal_id, current_user)
    form = forms.MergeForm()
    require_valid(form)
    target = moderating.merge(proposal, form.target_id.data, current_user, form.reason.data)
    db.session.commit()
    flash(_("제안 %(id)d번에 통합했습니다.", id=target.id), "success")
    return redirect(url_for("proposals.detail", proposal_id=target.id), 303)


@bp.post("/comments/<int:comment_id>/hide")
@login_required
def hide_comment(comment_id):
    target = db.session.get(Comment, comment_id)
    if target is None:
        raise NotFound()
    require_role(current_user, Role.moderator)
    reason, category = moderation_reason()
    moderating.hide_comment(target, current_user, reason, category)
    db.session.commit()
    flash(_("댓글을 숨겼습니다."), "success")
    return redirect(url_for("proposals.detail", proposal_id=target.proposal_id) + "#comments", 303)


# --- staff --------------------------------------------------------------------------------------------------

@bp.post("/<int:proposal_id>/answer")
@login_required
def answer(proposal_id):
    proposal = services.get_visible(proposal_id, current_user)
    form = forms.AnswerForm()
    require_valid(form)
    services.answer(proposal, current_user, form.outcome.data, form.answer_body.data, form.follow_up.data)
    db.session.commit()
    flash(_("답변을 등록했습니다."), "success")
    return redirect(url_for("proposals.detail", proposal_id=proposal_id), 303)


@bp.post("/<int:proposal_id>/interim")
@login_required
def interim(proposal_id):
    proposal = services.get_visible(proposal_id, current_user)
    form = forms.InterimAnswerForm()
    require_valid(form)
    services.write_interim_answer(proposal, current_user, form.interim_answer.data)
    db.session.commit()
    flash(_("중간 답변을 등록했습니다."), "success")
    return redirect(url_for("proposals.detail", proposal_id=proposal_id), 303)


@bp.post("/<int:proposal_id>/extend")
@login_required
def extend(proposal_id):
    proposal = services.get_visible(proposal_id, current_user)
    form = ReasonForm()
    require_valid(form)
    services.extend_answer_deadline(proposal, current_user, form.reason.data)
    db.session.commit()
    flash(_("답변 기한을 연장했습니다."), "success")
    return redirect(url_for("proposals.detail", proposal_id=proposal_id), 303)


@bp.post("/<int:proposal_id>/mayor-answer")
@login_required
def mayor_answer(proposal_id):
    proposal = services.get_visible(proposal_id, current_user)
    form = forms.MayorAnswerForm()
    require_valid(form)
    discussion.answer_as_mayor(proposal, current_user, form.mayor_answer.data)
    db.session.commit()
    flash(_("서울시장 답변을 등록했습니다."), "success")
    return redirect(url_for("proposals.detail", proposal_id=proposal_id) + "#mayor-answer", 303)


@bp.post("/<int:proposal_id>/department")
@login_required
def assign(proposal_id):
    proposal = services.get_visible(proposal_id, current_user)
    form = forms.AssignForm()
    form.department_id.choices = []
    if form.validate_on_submit():
        services.assign_department(proposal, form.department_id.data, current_user)
        db.session.commit()
        flash(_("담당 부서를 지정했습니다."), "success")
    else:
        raise ValidationError({"department_id": _l("부서를 골라 주세요.")})
    return redirect(url_for("proposals.detail", proposal_id=proposal_id), 303)


@bp.route("/staff", methods=["GET", "POST"])
@login_required
def staff_desk():
    require_role(current_user, Role.staff)
    form = forms.DepartmentForm()
    if form.validate_on_submit():
        try:
            services.add_department(current_user, form.name.data, form.is_example.data)
        except DomainError as error:
            _fail(form, error)
        else:
            db.session.commit()
            flash(_("부서를 추가했습니다."), "success")
            return redirect(url_for("proposals.staff_desk"), 303)
    return render_template("proposals/staff.html", reviews=queries.under_review(), departments=queries.departments(),
                           awaiting_mayor=queries.awaiting_mayor(), now=utcnow(), form=form), \
        422 if form.errors else 200


@bp.route("/staff/youth", methods=["GET", "POST"])
@login_required
def committee_entry():
    require_role(current_user, Role.staff)
    form = forms.CommitteeEntryForm()
    if form.validate_on_submit():
        try:
            proposal = services.enter_for_committee(current_user, form.proposal_data(), form.submitted_on.data)
        except DomainError as error:
            _fail(form, error)
        else:
            db.session.commit()
            flash(_("청소년 참여위원회 제안을 등록했습니다."), "success")
            return redirect(url_for("proposals.detail", proposal_id=proposal.id), 303)
    return render_template("proposals/committee.html", form=form), 422 if form.errors else 200


@bp.route("/staff/import", methods=["GET", "POST"])
@login_required
def import_upload():
    require_role(current_user, Role.staff)
    form = forms.ImportUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        filename = getattr(upload, "filename", "") or ""
        extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if extension not in importer.STAGED_TYPES:
            form.file.errors = [_("CSV 또는 XLSX 파일을 올려 주세요.")]
        else:
            data = upload.read()
            # Committed before the dry run: the confirmation may reach another web process.
            stored = importer.stage(data, extension)
            db.session.commit()
            return _import_preview(stored, data, filename, None)
    return render_template("proposals/import.html", form=form), 422 if form.errors else 200


@bp.post("/staff/import/<stored>")
@login_required
def import_review(stored):
    require_role(current_user, Role.staff)
    data = importer.staged(stored) if IMPORT_NAME.fullmatch(stored) else None
    if data is None:
        raise NotFound(_l("올린 파일을 찾을 수 없습니다. 다시 올려 주세요."))
    require_valid(ConfirmForm())
    mapping = {name: request.form.get(f"map_{name}", "") for name in importer.FIELDS}
    return _import_preview(stored, data, request.form.get("original", "")[:200], mapping,
                           confirm=request.form.get("action") == "confirm")


def _import_preview(stored: str, data: bytes, original: str, mapping: dict | None, confirm: bool = False):
    headers, problems = [], {}
    try:
        plan = importer.run_import(current_user, data, stored, mapping, confirm=confirm)
        headers, _table = importer.read_table(data, stored)
    except ValidationError as error:
        db.session.rollback()
        plan, problems = None, error.fields
        if "file" not in problems:
            headers, _table = importer.read_table(data, stored)
    if plan is not None and plan.imported:
        importer.unstage(stored)
        db.session.commit()
        flash(_("가져오기를 마쳤습니다: 새 제안 %(new)d건, 바뀐 제안 %(updated)d건, 그대로 %(same)d건, "
                "오류로 건너뛴 행 %(errors)d건.", new=plan.count("new"), updated=plan.count("update"),
                same=plan.count("unchanged"), errors=len(plan.errors)), "success")
        return redirect(url_for("proposals.staff_desk"), 303)
    if mapping is None and headers:
        mapping = importer.default_mapping(headers)
    return render_template("proposals/import_preview.html", plan=plan, problems=problems, headers=headers,
                           mapping=mapping or {}, stored=stored, original=original, fields=importer.FIELDS,
                           changed_labels=importer.CHANGED_LABELS, confirm=ConfirmForm()), 422 if problems else 200

