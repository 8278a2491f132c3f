"""Budgeting pages: processes, projects (propose, support), the knapsack ballot (choose → confirm → receipt),
results with their explanations, the Pabulib download, and the staff console (create, move, assess, merge,
implementation)."""

from flask import (
    Blueprint,
    Response,
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

from participation.budgets import charts, exchange, images, queries, services
from participation.budgets.forms import (
    AssessmentForm,
    ImageRemovalForm,
    ImplementationForm,
    MergeForm,
    ProcessForm,
    ProjectForm,
    TransitionForm,
)
from participation.budgets.models import BudgetProjectImage, ProcessState, ProjectStatus
from participation.budgets.money import money
from participation.core import consoles, shown_once, storage
from participation.core import images as core_images
from participation.core.audit import history
from participation.core.errors import DomainError, NotFound, ValidationError
from participation.core.forms import ConfirmForm, apply_errors, require_valid
from participation.core.limits import filing_limit, participation_limit
from participation.core.pagination import page_arguments, paginate
from participation.core.permissions import Role, require_role
from participation.core.response_cache import cached_for_anonymous
from participation.core.seoul import CATEGORIES
from participation.core.settings import get_setting
from participation.extensions import db

bp = Blueprint("budgets", __name__, url_prefix="/budgets")
bp.add_app_template_global(money, "money")
RECEIPTS_KEY = "budget_receipts"

consoles.register(consoles.STAFF, consoles.ConsoleEntry(
    "budgets", _l("시민참여예산 관리 (준비·검토 중)"), queries.drafts_count, "budgets.manage"))


def parse_projects(values: list[str]) -> list[int]:
    if not all(value.isascii() and value.isdigit() and len(value) <= 10 for value in values):
        raise ValidationError({"projects": _l("이 사업에 없는 제안입니다.")})
    return [int(value) for value in values]


def detail_context(process, selected=()) -> dict:
    voting = services.is_open_for_voting(process)
    problem = services.eligibility_problem(process, current_user) if current_user.is_authenticated else None
    return {"process": process, "voting": voting, "problem": problem,
            "voted": queries.participated(process, current_user),
            "supported": queries.supported_ids(process, current_user),
            "on_ballot": services.ballot_projects(process), "selected": {str(value) for value in selected},
            "form": ConfirmForm(), "state_labels": queries.STATE_LABELS,
            "status_labels": queries.PROJECT_STATUS_LABELS, "categories": CATEGORIES}


@bp.get("")
@cached_for_anonymous
def index():
    page, per_page = page_arguments(20)
    return render_template("budgets/index.html", page=paginate(queries.public_processes(), page, per_page),
                           state_labels=queries.STATE_LABELS)


@bp.get("/<int:budget_id>")
@cached_for_anonymous
def detail(budget_id):
    process = services.get_visible(budget_id, current_user)
    return render_template("budgets/detail.html", **detail_context(process))


@bp.get("/<int:budget_id>/projects/<int:project_id>")
def project(budget_id, project_id):
    process = services.get_visible(budget_id, current_user)
    item = queries.get_project(process, project_id)
    merged_into = queries.get_project(process, item.merged_into_id) if item.merged_into_id else None
    return render_template("budgets/project.html", process=process, project=item, merged_into=merged_into,
                           supported=item.id in queries.supported_ids(process, current_user), form=ConfirmForm(),
                           status_labels=queries.PROJECT_STATUS_LABELS, categories=CATEGORIES,
                           implementation_labels=queries.IMPLEMENTATION_LABELS, image_form=ImageRemovalForm(),
                           author_may_remove=images.editable_by_author(item))


def uploads(field) -> list[bytes]:
    files = [upload for upload in (field.data or []) if getattr(upload, "filename", "")]
    return [upload.read(core_images.MAX_BYTES + 1) for upload in files]


@bp.get("/images/<int:image_id>")
def image(image_id):
    row = db.session.get(BudgetProjectImage, image_id)
    if row is None:
        raise NotFound()
    process = services.get_visible(row.project.budget_id, current_user)
    # Public while the process is (a draft's photos are for staff); a minute in shared caches, so that a photo
    # staff remove soon leaves them.
    return storage.send(images.image_key(row), row.content_type, max_age=core_images.PUBLIC_MAX_AGE,
                        private=process.state not in queries.PUBLIC_STATES)


@bp.post("/<int:budget_id>/projects/<int:project_id>/images/<int:image_id>/remove")
@login_required
def remove_image(budget_id, project_id, image_id):
    process = services.get_visible(budget_id, current_user)
    item = queries.get_project(process, project_id)
    row = db.session.get(BudgetProjectImage, image_id)
    if row is None or row.project_id != item.id:
        raise NotFound(_l("사진을 찾을 수 없습니다."))
    form = ImageRemovalForm()
    require_valid(form)
    images.remove_image(row, current_user, form.reason.data)
    db.session.commit()
    flash(_("사진을 지웠습니다."), "success")
    return redirect(url_for("budgets.project", budget_id=process.id, project_id=item.id), 303)


@bp.route("/<int:budget_id>/propose", methods=["GET", "POST"])
@login_required
@filing_limit
def propose(budget_id):
    process = services.get_visible(budget_id, current_user)
    form = ProjectForm()
    codes = process.categories or list(CATEGORIES)
    form.category.choices = [("", _("선택하지 않음"))] + [(code, CATEGORIES[code]) for code in codes]
    if process.district:
        form.district.choices = [(process.district, process.district)]
    if form.validate_on_submit():
        try:
            photos = images.check_project_uploads(uploads(form.images))  # before anything is written
            item = services.propose_project(process, current_user, **form.service_fields())
            images.attach_images(item, photos)
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            flash(_("사업을 제안했습니다. 담당 부서가 검토합니다."), "success")
            return redirect(url_for("budgets.project", budget_id=process.id, project_id=item.id), 303)
    elif request.method == "GET" and process.state not in services.STAFF_PROPOSING_STATES:
        flash(_("지금은 사업을 제안할 수 없습니다 (제안 기간이 아닙니다)."), "error")
        return redirect(url_for("budgets.detail", budget_id=process.id), 303)
    return render_template("budgets/propose.html", process=process, form=form), 422 if form.errors else 200


@bp.post("/<int:budget_id>/projects/<int:project_id>/support")
@login_required
@participation_limit
def support(budget_id, project_id):
    process = services.get_visible(budget_id, current_user)
    require_valid(ConfirmForm())
    services.support_project(queries.get_project(process, project_id), current_user)
    db.session.commit()
    flash(_("공감했습니다."), "success")
    return redirect(url_for("budgets.project", budget_id=process.id, project_id=project_id), 303)


@bp.post("/<int:budget_id>/confirm")
@login_required
def confirm(budget_id):
    """The confirm step: the chosen projects and their total against the budget. Nothing is stored until
    the voter presses 투표하기; a ballot over the budget comes back with the choices kept and the message."""
    process = services.get_visible(budget_id, current_user)
    services.require_may_vote(process, current_user)
    values = request.form.getlist("project")
    form = ConfirmForm()
    try:
        chosen = services.check_ballot(process, parse_projects(values))
    except ValidationError as error:
        apply_errors(form, error)
        context = detail_context(process, values)
        context["form"] = form
        return render_template("budgets/detail.html", **context), 422
    return render_template("budgets/confirm.html", process=process, chosen=chosen, form=ConfirmForm(),
                           total=sum(project.cost for project in chosen))


@bp.post("/<int:budget_id>/vote")
@login_required
@participation_limit
def vote(budget_id):
    process = services.get_visible(budget_id, current_user, for_vote=True)
    try:
        require_valid(ConfirmForm())
        receipt = services.cast_ballot(process, current_user, parse_projects(request.form.getlist("project")))
    except DomainError as error:
        db.session.rollback()
        flash(error.summary(), "error")
        return redirect(url_for("budgets.detail", budget_id=process.id), 303)
    db.session.commit()
    # Shown once on the next page from a server-side entry (the session carries only its random token: a signed
    # cookie is readable); never logged. Without Redis, shown at once on this answer instead.
    token = shown_once.keep(receipt)
    if token is None:
        return receipt_page(process, receipt, voted=True)
    session[RECEIPTS_KEY] = {**session.get(RECEIPTS_KEY, {}), str(process.id): token}
    return redirect(url_for("budgets.receipt", budget_id=process.id), 303)


@bp.get("/<int:budget_id>/receipt")
@login_required
def receipt(budget_id):
    process = services.get_visible(budget_id, current_user)
    tokens = dict(session.get(RECEIPTS_KEY, {}))
    token = tokens.pop(str(process.id), None)
    if token is not None:
        session[RECEIPTS_KEY] = tokens
    return receipt_page(process, shown_once.take(token), voted=queries.participated(process, current_user))


def receipt_page(process, code: str | None, voted: bool):
    response = make_response(render_template(
        "budgets/receipt.html", process=process, receipt=code,
        receipt_hash=services.receipt_hash(code) if code else None, voted=voted,
        batch=current_app.config["MIX_BATCH"]))
    response.headers["Cache-Control"] = "no-store"  # not kept by the browser: shown once
    return response


@bp.get("/<int:budget_id>/results")
@cached_for_anonymous
def results(budget_id):
    process = services.get_visible(budget_id, current_user)
    queries.require_results_visible(process)
    return render_template("budgets/results.html", process=process, results=queries.results(process),
                           explanations=charts.explanations(process), state_labels=queries.STATE_LABELS,
                           implementation_labels=queries.IMPLEMENTATION_LABELS)


@bp.get("/<int:budget_id>/results.svg")
def chart(budget_id):
    process = services.get_visible(budget_id, current_user)
    queries.require_results_visible(process)
    response = Response(charts.votes_chart(process), mimetype="image/svg+xml")
    # The chart is an image with its own inline styles and no script.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@bp.get("/<int:budget_id>/results.pb")
def pabulib(budget_id):
    """The process as a Pabulib file (projects with votes and `selected`, the anonymous ballots), so that anyone
    can recompute the outcome with their own tools."""
    process = services.get_visible(budget_id, current_user)
    queries.require_results_visible(process)
    return Response(exchange.export_text(process), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={exchange.file_name(process)}"})


@bp.route("/<int:budget_id>/receipts", methods=["GET", "POST"])
def bulletin(budget_id):
    """The public bulletin (after the final tally); a receipt is looked up by POST so that the code never stands
    in a URL (history, proxies and referrers keep URLs)."""
    process = services.get_visible(budget_id, current_user)
    page, per_page = page_arguments(100)
    visible = queries.results_visible(process)
    lookup = (request.form.get("receipt") or "").strip()[:100] if request.method == "POST" else ""
    found = queries.find_receipt(process, lookup) if lookup and visible else None
    response = make_response(render_template(
        "budgets/bulletin.html", process=process, visible=visible, found=found,
        page=paginate(queries.receipts(process), page, per_page) if visible else None))
    if request.method == "POST":
        response.headers["Cache-Control"] = "no-store"
    return response


# --- staff ----------------------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    require_role(current_user, Role.staff)
    form = ProcessForm(requires_identity=get_setting("IDENTITY_FOR_BUDGETS"))
    if form.validate_on_submit():
        try:
            process = services.create_process(current_user, **form.service_fields())
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            flash(_("초안을 만들었습니다."), "success")
            return redirect(url_for("budgets.manage_process", budget_id=process.id), 303)
    return render_template("budgets/new.html", form=form), 422 if form.errors else 200


@bp.get("/manage")
@login_required
def manage():
    require_role(current_user, Role.staff)
    page, per_page = page_arguments(50)
    return render_template("budgets/manage.html", page=paginate(queries.managed_processes(), page, per_page),
                           state_labels=queries.STATE_LABELS)


@bp.get("/<int:budget_id>/manage")
@login_required
def manage_process(budget_id):
    require_role(current_user, Role.staff)
    process = services.get_visible(budget_id, current_user)
    merge_form = MergeForm()
    merge_form.into.choices = [(item.id, item.title) for item in process.projects
                               if item.status != ProjectStatus.merged]
    return render_template("budgets/manage_process.html", process=process, reason_form=TransitionForm(),
                           allowed=services.allowed_from(ProcessState(process.state)),
                           assessment_form=AssessmentForm(), merge_form=merge_form,
                           implementation_form=ImplementationForm(), entries=history(services.SUBJECT, process.id),
                           state_labels=queries.STATE_LABELS, status_labels=queries.PROJECT_STATUS_LABELS,
                           assessing=process.state in services.ASSESSING_STATES)


@bp.post("/<int:budget_id>/transitions/<to>")
@login_required
def change_state(budget_id, to):
    process = services.get_visible(budget_id, current_user)
    form = TransitionForm()
    require_valid(form)
    services.transition(process, to, current_user, form.reason.data)
    db.session.commit()
    flash(_("상태를 바꿨습니다: %(state)s", state=queries.STATE_LABELS[ProcessState(process.state)]), "success")
    return redirect(url_for("budgets.manage_process", budget_id=process.id), 303)


def back_to_manage(process, project_id):
    return redirect(url_for("budgets.manage_process", budget_id=process.id, _anchor=f"project-{project_id}"), 303)


@bp.post("/<int:budget_id>/projects/<int:project_id>/assessment")
@login_required
def assess(budget_id, project_id):
    require_role(current_user, Role.staff)
    process = services.get_visible(budget_id, current_user)
    item = queries.get_project(process, project_id)
    form = AssessmentForm()
    require_valid(form)
    services.assess_project(item, current_user, feasible=form.feasible.data == "yes", cost=form.cost.data,
                            notes=form.notes.data or "")
    db.session.commit()
    flash(_("'%(title)s' 검토 결과를 저장했습니다.", title=item.title), "success")
    return back_to_manage(process, item.id)


@bp.post("/<int:budget_id>/projects/<int:project_id>/merge")
@login_required
def merge(budget_id, project_id):
    require_role(current_user, Role.staff)
    process = services.get_visible(budget_id, current_user)
    item = queries.get_project(process, project_id)
    form = MergeForm()
    form.into.choices = [(other.id, other.title) for other in process.projects]
    require_valid(form)
    services.merge_projects(item, queries.get_project(process, form.into.data), current_user, form.reason.data)
    db.session.commit()
    flash(_("'%(title)s' 제안을 합쳤습니다.", title=item.title), "success")
    return back_to_manage(process, item.id)


@bp.post("/<int:budget_id>/projects/<int:project_id>/implementation")
@login_required
def implementation(budget_id, project_id):
    require_role(current_user, Role.staff)
    process = services.get_visible(budget_id, current_user)
    item = queries.get_project(process, project_id)
    form = ImplementationForm()
    require_valid(form)
    services.set_implementation(item, current_user, status=form.status.data, percent=form.percent.data,
                                note=form.note.data or "")
    db.session.commit()
    flash(_("'%(title)s' 추진 현황을 저장했습니다.", title=item.title), "success")
    return back_to_manage(process, item.id)
