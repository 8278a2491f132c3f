"""Forum pages (공론장): the list, a forum with its stance summary, opinion map, statements and comments,
the staff's forms and the moderators' review queue. Refusals from the services are flashed on the page."""

import numpy as np
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError

from participation.core import consoles, storage, workspace
from participation.core.errors import ValidationError
from participation.core.forms import ConfirmForm, ReportForm, apply_errors, require_valid
from participation.core.limits import export_limit, filing_limit, participation_limit, report_limit
from participation.core.pagination import page_arguments, paginate
from participation.core.permissions import Role, require_role
from participation.core.reports import open_report_count
from participation.core.seoul import AGE_BAND_LABELS
from participation.extensions import db, login_manager
from participation.forums import attachments, forms, interchange, queries, services
from participation.forums.models import CommentState, ForumState, StatementState
from participation.forums.opinion import REPRESENTATIVE_MIN_VOTES

bp = Blueprint("forums", __name__, url_prefix="/forums")

consoles.register(consoles.MODERATION, consoles.ConsoleEntry(
    "forums", _l("공론장 의견 문장·신고된 댓글"), queries.review_count, "forums.review"))
consoles.register(consoles.STAFF, consoles.ConsoleEntry(
    "forums", _l("공론장 (초안)"), queries.draft_count, "forums.index"))
workspace.register_kind(workspace.Kind(
    services.STATEMENT_LIFECYCLE.subject, text=lambda statement: "",  # its text is its title
    acts={"publish": workspace.move(services.STATEMENT_LIFECYCLE, StatementState.approved),
          "reject": workspace.move(services.STATEMENT_LIFECYCLE, StatementState.rejected)},
    waiting=queries.pending_statements, since=lambda statement: statement.created_at))
workspace.register_kind(workspace.Kind(
    services.COMMENT_SUBJECT, text=lambda comment: comment.body,
    acts={"hide": workspace.move(services.COMMENT_LIFECYCLE, CommentState.hidden),
          "dismiss": workspace.Act(
              run=lambda comment, actor, _reason, _category: services.keep_comment(comment, actor),
              possible=lambda comment: comment.state == CommentState.auto_hidden
              or open_report_count(services.COMMENT_SUBJECT, comment.id) > 0)}))
workspace.register_queue(workspace.Queue("forums", _l("공론장 검토"),
                                         (services.STATEMENT_LIFECYCLE.subject, services.COMMENT_SUBJECT),
                                         "STATEMENT_REVIEW_DAYS", "forums.review"))

MAP_WIDTH, MAP_HEIGHT, MAP_MARGIN = 400, 300, 16
# Where a group sits on the map, for its text alternative: (horizontal, vertical) → words.
PLACES = {(-1, 1): _l("지도 왼쪽 위"), (0, 1): _l("지도 위쪽"), (1, 1): _l("지도 오른쪽 위"),
          (-1, 0): _l("지도 왼쪽"), (0, 0): _l("지도 가운데"), (1, 0): _l("지도 오른쪽"),
          (-1, -1): _l("지도 왼쪽 아래"), (0, -1): _l("지도 아래쪽"), (1, -1): _l("지도 오른쪽 아래")}
PLACE_THRESHOLD = 0.12  # a group's mean this far from the middle (share of the map's width or height) is off it
TABLE_REACTION_LABELS = {"agree": _l("동의"), "disagree": _l("비동의"), "pass": _l("넘어가기")}
TABLE_SORT_LABELS = {"order": _l("문장 순서"), "agree": _l("전체 동의 비율"), "disagree": _l("전체 비동의 비율"),
                     "pass": _l("전체 넘어가기 비율"), "consensus": _l("함께함"), "divisive": _l("갈림")}
GROUP_COLOURS = ("#0b4ea2", "#b3261e", "#1d6b35", "#8a4b00", "#6a1b9a")
STATE_LABELS = {"draft": _l("초안"), "open": _l("의견 받는 중"), "closed": _l("마감"), "answered": _l("답변 완료")}


@bp.url_value_preprocessor
def allow_large_upload(endpoint, _values):
    """An attachment may be larger than the app-wide request limit, for the upload only, and only once all that
    the headers can prove holds: a logged-in staff member, in a request sent by this site. This runs before the
    app's before_request hooks (CSRF reads the whole form there), so anyone else is refused before a byte of the
    body is read; the CSRF token in the body is then checked as in every form."""
    if endpoint != "forums.upload_attachment":
        return
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    require_role(current_user, Role.staff)
    if not _sent_by_this_site():
        raise CSRFError(_("다른 사이트에서 보낸 요청은 받지 않습니다."))
    request.max_content_length = attachments.REQUEST_LIMIT


def _sent_by_this_site() -> bool:
    """Browsers name the sender of every cross-site POST (Origin, Sec-Fetch-Site); a request without them is
    not a browser's, so not a forged one. "null" (a sandboxed frame, a redirect) is another site."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    return origin is None or origin == request.host_url.rstrip("/")


def _checked(form) -> None:
    """A form that does not validate is refused like a service refusal: flashed, nothing written."""
    require_valid(form)


def _forum(forum_id: int):
    return services.get_visible(forum_id, current_user)


def _back(forum, anchor: str | None = None):
    """Back to the forum page at the anchor; the reaction card and comments show the confirmation there (`at`)
    instead of at the top of the page, where it would be off-screen."""
    at = anchor if anchor and (anchor == "statements" or anchor.startswith("comment-")) else None
    return redirect(url_for("forums.detail", forum_id=forum.id, at=at, _anchor=anchor), 303)


def _flash_at(top, replies) -> str | None:
    """Where the confirmation of the last action goes: the place named by `at` if it is on this page."""
    at = request.args.get("at")
    shown = {f"comment-{comment.id}" for comment in top.items}
    shown.update(f"comment-{reply.id}" for thread in replies.values() for reply in thread)
    return at if at == "statements" or at in shown else None


@bp.get("")
def index():
    state = request.args.get("state")
    if state not in STATE_LABELS or (state == "draft" and not _is_staff()):
        state = None
    page, per_page = page_arguments()
    forums = paginate(queries.forum_list(state, include_drafts=_is_staff()), page, per_page)
    return render_template("forums/index.html", page=forums, state=state, state_labels=STATE_LABELS)


def _is_staff() -> bool:
    return current_user.is_authenticated and current_user.has_role(Role.staff)


@bp.route("/new", methods=["GET", "POST"])
@login_required
@filing_limit
def new():
    require_role(current_user, Role.staff)
    form = forms.ForumForm()
    if form.validate_on_submit():
        try:
            forum = services.create_forum(
                current_user, title=form.title.data, background=form.background.data,
                key_facts=form.key_facts.data or "", links=form.links.data or "",
                departments=form.departments.data or "", discussion_days=form.discussion_days.data,
                verification="identity" if form.requires_identity.data else "email")
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            flash(_("공론장 초안을 만들었습니다. 의견 문장을 준비한 뒤 공개하세요."), "success")
            return _back(forum)
    return render_template("forums/new.html", form=form), 422 if form.errors else 200


@bp.get("/<int:forum_id>")
def detail(forum_id):
    forum = _forum(forum_id)
    sort = request.args.get("sort") if request.args.get("sort") in queries.COMMENT_SORTS else "newest"
    user_id = current_user.id if current_user.is_authenticated else None
    top, replies = queries.thread(forum.id, sort, *page_arguments())
    texts = queries.statement_texts(forum.id)
    table_sort = queries.table_sort(request.args.get("table_sort"), len((forum.opinion_map or {}).get("groups", [])))
    scatter, you = _scatter(forum.opinion_map, user_id, forum.id)
    return render_template(
        "forums/detail.html", forum=forum, sort=sort, top=top, replies=replies,
        liked=queries.liked_comment_ids(forum.id, user_id) if user_id else set(),
        texts=texts, scatter=scatter, you=you, map_groups=_map_groups(forum.opinion_map),
        table_sort=table_sort, table_sort_labels=TABLE_SORT_LABELS, table_reaction_labels=TABLE_REACTION_LABELS,
        min_votes=REPRESENTATIVE_MIN_VOTES,
        opinion_table=queries.opinion_table(forum, texts, table_sort), downloads=interchange.DOWNLOADS,
        next_statement=queries.next_statement(forum.id, user_id) if user_id else None,
        progress=queries.reaction_progress(forum.id, user_id) if user_id else None,
        statement_form=forms.StatementForm(), transition_form=forms.TransitionForm(),
        closing_poll_form=forms.ClosingPollForm(), attachment_form=forms.AttachmentForm(),
        attachments=attachments.attachments_of(forum.id), type_label=attachments.type_label,
        max_attachments=attachments.MAX_PER_FORUM, max_attachment_mb=attachments.MAX_BYTES // 2**20,
        answer_form=forms.AnswerForm(), confirm=ConfirmForm(), state_labels=STATE_LABELS, age_labels=AGE_BAND_LABELS,
        stance_labels=forms.STANCE_LABELS, flash_at=_flash_at(top, replies),
        reaction_labels=forms.REACTION_LABELS, colours=GROUP_COLOURS, is_staff=_is_staff())


@bp.get(f"/<int:forum_id>/export/<any({', '.join(repr(name) for name in interchange.DOWNLOADS)}):name>")
@export_limit
def export(forum_id, name):
    """The forum's open data in Pol.is's export format: one of the four CSV files, or all four in a ZIP."""
    return interchange.export_response(_forum(forum_id), name)


def _map_groups(opinion_map: dict | None) -> list[dict]:
    """Each group's size, share and place on the map (its members' mean against everyone's), in words."""
    stored = opinion_map or {}
    points = np.array(stored.get("points") or [], dtype=float).reshape(-1, 3)
    if not len(points):
        return []
    middle = points[:, :2].mean(axis=0)
    span = np.maximum(points[:, :2].max(axis=0) - points[:, :2].min(axis=0), 1e-9)
    groups = []
    for group in stored.get("groups", []):
        members = points[points[:, 2] == group["number"], :2]
        offset = (members.mean(axis=0) - middle) / span if len(members) else np.zeros(2)
        side = tuple(int(np.sign(value)) if abs(value) > PLACE_THRESHOLD else 0 for value in offset)
        groups.append({"number": group["number"], "size": group["size"], "share": group["size"] / len(points),
                       "place": PLACES[side]})
    return groups


def _scatter(opinion_map: dict | None, user_id: int | None = None, forum_id: int | None = None) \
        -> tuple[list[dict], dict | None]:
    """The map's points scaled into the SVG's box (the data has no units, only relative positions), and the
    signed-in person's own point ("you are here"), found by their participant number in `members`."""
    stored = opinion_map or {}
    points = stored.get("points") or []
    if not points:
        return [], None
    xs, ys = [point[0] for point in points], [point[1] for point in points]
    span_x, span_y = (max(xs) - min(xs)) or 1, (max(ys) - min(ys)) or 1
    inner_w, inner_h = MAP_WIDTH - 2 * MAP_MARGIN, MAP_HEIGHT - 2 * MAP_MARGIN

    def place(x: float, y: float, group: int) -> dict:
        return {"x": round(MAP_MARGIN + (x - min(xs)) / span_x * inner_w, 1),
                "y": round(MAP_MARGIN + (max(ys) - y) / span_y * inner_h, 1), "group": group}

    number = queries.participant_number(forum_id, user_id) if user_id else None
    mine = [member for member in stored.get("members", []) if member[0] == number and len(member) == 4]
    you = place(mine[0][2], mine[0][3], mine[0][1]) if mine else None
    return [place(x, y, group) for x, y, group in points], you


@bp.post("/<int:forum_id>/transitions")
@login_required
def change_state(forum_id):
    forum = _forum(forum_id)
    form = forms.TransitionForm()
    _checked(form)
    services.transition(forum, form.to.data, current_user, form.reason.data or None)
    db.session.commit()
    flash(_("공론장 상태를 '%(state)s'(으)로 바꿨습니다.", state=STATE_LABELS[forum.state]), "success")
    return _back(forum)


@bp.post("/<int:forum_id>/answer")
@login_required
def answer(forum_id):
    forum = _forum(forum_id)
    form = forms.AnswerForm()
    _checked(form)
    services.transition(forum, ForumState.answered, current_user, answer=form.answer.data)
    db.session.commit()
    flash(_("공식 답변을 게시하고 참여자에게 알렸습니다."), "success")
    return _back(forum, "answer")


@bp.post("/<int:forum_id>/closing-poll")
@login_required
def closing_poll(forum_id):
    forum = _forum(forum_id)
    form = forms.ClosingPollForm()
    _checked(form)
    services.attach_closing_poll(forum, current_user, form.options.data.splitlines())
    db.session.commit()
    flash(_("마무리 투표를 열었습니다. 토론이 마감될 때 함께 마감됩니다."), "success")
    return _back(forum, "closing-poll")


@bp.post("/<int:forum_id>/attachments")
@login_required
def upload_attachment(forum_id):
    forum = _forum(forum_id)
    require_role(current_user, Role.staff)
    form = forms.AttachmentForm()
    _checked(form)
    storage = form.file.data
    upload = attachments.Upload(storage.filename or "", storage.read(attachments.MAX_BYTES + 1))
    attachment = attachments.attach(forum, current_user, upload)
    db.session.commit()
    flash(_("문서 '%(name)s'을(를) 첨부했습니다.", name=attachment.original_name), "success")
    return _back(forum, "attachments")


@bp.get("/<int:forum_id>/attachments/<int:attachment_id>")
def attachment(forum_id, attachment_id):
    forum = _forum(forum_id)
    row = attachments.get_attachment(forum, attachment_id)
    # filename*=UTF-8''… (RFC 5987) for a Korean name, with an ASCII fallback.
    return storage.send(attachments.attachment_key(row), row.content_type, private=True,
                        download_name=row.original_name)


@bp.post("/<int:forum_id>/attachments/<int:attachment_id>/delete")
@login_required
def remove_attachment(forum_id, attachment_id):
    forum = _forum(forum_id)
    require_role(current_user, Role.staff)
    _checked(ConfirmForm())
    row = attachments.get_attachment(forum, attachment_id)
    name = row.original_name
    attachments.remove(forum, row, current_user)
    db.session.commit()
    flash(_("첨부 문서 '%(name)s'을(를) 지웠습니다.", name=name), "success")
    return _back(forum, "attachments")


@bp.post("/<int:forum_id>/comments")
@login_required
@participation_limit
def comment(forum_id):
    forum = _forum(forum_id)
    form = forms.CommentForm()
    _checked(form)
    parent_id = int(form.parent_id.data) if (form.parent_id.data or "").isdigit() else None
    if form.parent_id.data and parent_id is None:
        raise ValidationError({"parent_id": _l("이 공론장의 댓글에만 답글을 달 수 있습니다.")})
    created = services.add_comment(forum, current_user, form.stance.data, form.body.data, parent_id)
    db.session.commit()
    flash(_("의견을 남겼습니다."), "success")
    return _back(forum, f"comment-{created.id}")


@bp.post("/<int:forum_id>/comments/<int:comment_id>/like")
@login_required
@participation_limit
def like(forum_id, comment_id):
    forum = _forum(forum_id)
    _checked(ConfirmForm())
    comment = services.get_comment(forum, comment_id)
    if request.form.get("undo"):
        services.unlike_comment(forum, comment, current_user)
    else:
        services.like_comment(forum, comment, current_user)
    db.session.commit()
    return _back(forum, f"comment-{comment.id}")


@bp.post("/<int:forum_id>/comments/<int:comment_id>/report")
@login_required
@report_limit
def report(forum_id, comment_id):
    forum = _forum(forum_id)
    form = ReportForm()
    _checked(form)
    services.report_comment(services.get_comment(forum, comment_id), current_user, form.reason.data,
                            form.category.data)
    db.session.commit()
    flash(_("신고를 접수했습니다. 검토자가 확인합니다."), "success")
    return _back(forum, f"comment-{comment_id}")


@bp.post("/<int:forum_id>/statements")
@login_required
@participation_limit
def add_statement(forum_id):
    forum = _forum(forum_id)
    form = forms.StatementForm()
    _checked(form)
    statement = services.add_statement(forum, current_user, form.text.data)
    db.session.commit()
    if statement.state == StatementState.approved:
        flash(_("의견 문장을 추가했습니다."), "success")
    else:
        flash(_("의견 문장을 받았습니다. 검토 후 다른 시민에게 보입니다."), "success")
    return _back(forum, "statements")


@bp.post("/<int:forum_id>/statements/<int:statement_id>/reactions")
@login_required
@participation_limit
def react(forum_id, statement_id):
    forum = _forum(forum_id)
    _checked(ConfirmForm())
    services.react(forum, services.get_statement(forum, statement_id), current_user, request.form.get("value"))
    db.session.commit()
    return _back(forum, "statements")


@bp.get("/review")
@login_required
def review():
    require_role(current_user, Role.moderator)
    return workspace.render("forums")
