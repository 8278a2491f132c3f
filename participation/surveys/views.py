"""Survey pages: the list, answering one section per page (save, resume, submit once), results and the
printable report, and the staff builder, preview, transitions, exports and population frames."""

import random

import pygal
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from participation.core.consoles import STAFF, ConsoleEntry, register
from participation.core.csv import table_response
from participation.core.errors import Forbidden, NotFound, ValidationError
from participation.core.forms import ConfirmForm, apply_errors, require_valid
from participation.core.limits import participation_limit
from participation.core.pagination import page_arguments, paginate
from participation.core.permissions import Role, require_role
from participation.core.time import to_kst
from participation.extensions import db
from participation.surveys import answering, building, forms, frames, queries, services, statistics
from participation.surveys.models import CHOICE_TYPES, Option, Question, QuestionType, SurveySection, SurveyState

bp = Blueprint("surveys", __name__, url_prefix="/surveys")
STATE_LABELS = {"draft": _l("준비 중"), "open": _l("진행 중"), "closed": _l("마감")}
register(STAFF, ConsoleEntry("surveys", _l("여론조사 (준비 중인 조사)"), queries.staff_draft_count, "surveys.index"))


@bp.context_processor
def survey_globals():
    return {"STATE_LABELS": STATE_LABELS, "QuestionType": QuestionType, "is_staff": queries.is_staff(current_user)}


def _staff_survey(survey_id: int):
    require_role(current_user, Role.staff)
    return services.get_visible(survey_id, current_user)


def _owned(model, item_id: int, survey):
    item = queries.get(model, item_id)
    if item is None or (item.question.survey_id if isinstance(item, Option) else item.survey_id) != survey.id:
        raise NotFound()
    return item


# ---------------------------------------------------------------------------------------------------
# Citizens


@bp.get("")
def index():
    page, per_page = page_arguments()
    status = request.args.get("status") if request.args.get("status") in STATE_LABELS else None
    statement = queries.list_statement(current_user, status, request.args.get("q", "")[:100] or None)
    return render_template("surveys/index.html", page=paginate(statement, page, per_page), status=status)


@bp.get("/<int:survey_id>")
def detail(survey_id):
    survey = services.get_visible(survey_id, current_user)
    response = answering.find_response(survey, current_user) if current_user.is_authenticated else None
    return render_template("surveys/detail.html", survey=survey, response=response, confirm=ConfirmForm(),
                           problems=building.definition_problems(survey) if survey.state == SurveyState.draft else [])


@bp.post("/<int:survey_id>/start")
@login_required
@participation_limit
def start(survey_id):
    survey = services.get_visible(survey_id, current_user)
    response = answering.start_response(survey, current_user)
    db.session.commit()
    return redirect(url_for("surveys.respond", survey_id=survey.id, number=response.resume_position + 1), 303)


def _shuffled(question: Question, seed) -> list[Option]:
    options = list(question.options)
    if question.shuffle_options:
        random.Random(f"{seed}:{question.id}").shuffle(options)
    return options


def _form_values(section: SurveySection) -> dict:
    return {str(q.id): request.form.getlist(f"q{q.id}") if q.type == QuestionType.multiple
            else request.form.get(f"q{q.id}") for q in section.questions}


def _stored_values(answers: dict) -> dict:
    values = {}
    for question_id, rows in answers.items():
        if rows and rows[0]["option_id"] is not None:
            values[str(question_id)] = [str(row["option_id"]) for row in rows]
        elif rows and rows[0]["number_value"] is not None:
            value = rows[0]["number_value"]
            values[str(question_id)] = str(int(value)) if value.is_integer() else str(value)
        elif rows:
            values[str(question_id)] = rows[0]["text_value"]
    return values


def _section_page(survey, number: int, *, response=None, values=None, errors=None, preview=False, status=200):
    sections = survey.sections
    if not 1 <= number <= len(sections):
        raise NotFound()
    section = sections[number - 1]
    seed = response.id if response is not None else 0
    return render_template(
        "surveys/section.html", survey=survey, section=section, number=number, total=len(sections),
        options={q.id: _shuffled(q, seed) for q in section.questions}, values=values or {}, errors=errors or {},
        preview=preview), status


@bp.route("/<int:survey_id>/respond/<int:number>", methods=["GET", "POST"])
@login_required
def respond(survey_id, number):
    survey = services.get_visible(survey_id, current_user)
    response = answering.find_response(survey, current_user)
    if response is None or response.submitted_at is not None:
        return redirect(url_for("surveys.detail", survey_id=survey.id), 303)
    if not 1 <= number <= len(survey.sections):
        raise NotFound()
    section = survey.sections[number - 1]
    if request.method == "GET":
        return _section_page(survey, number, response=response,
                             values=_stored_values(answering.stored_answers(response)))
    answering.require_can_answer(survey, current_user)
    action = request.form.get("action", "next")
    raw = _form_values(section)
    try:
        next_index = answering.save_section(response, section, raw, complete=action in ("next", "submit"))
        if action == "submit":
            answering.submit_response(response, current_user)
    except ValidationError as error:
        db.session.rollback()
        if action == "submit" and not set(error.fields) & {str(q.id) for q in section.questions}:
            flash(_("답하지 않은 필수 문항이 있습니다."), "error")
            return redirect(url_for("surveys.respond", survey_id=survey.id, number=1), 303)
        return _section_page(survey, number, response=response, values=raw, errors=error.fields, status=422)
    db.session.commit()
    if action == "submit":
        return redirect(url_for("surveys.thanks", survey_id=survey.id), 303)
    if action == "save":
        flash(_("저장했습니다. 나중에 이어서 답할 수 있습니다."), "success")
        return redirect(url_for("surveys.detail", survey_id=survey.id), 303)
    if action == "back":
        route = answering.path(survey, answering.stored_answers(response))
        here = route.index(section) if section in route else 0
        previous = survey.sections.index(route[here - 1]) + 1 if here > 0 else 1
        return redirect(url_for("surveys.respond", survey_id=survey.id, number=previous), 303)
    target = next_index + 1 if next_index is not None else number
    return redirect(url_for("surveys.respond", survey_id=survey.id, number=target), 303)


@bp.get("/<int:survey_id>/thanks")
@login_required
def thanks(survey_id):
    """What comes next: when the results appear, and other surveys still open."""
    survey = services.get_visible(survey_id, current_user)
    others = [other for other in db.session.scalars(
        queries.list_statement(current_user, SurveyState.open).limit(4)) if other.id != survey.id][:3]
    return render_template("surveys/thanks.html", survey=survey, others=others,
                           results_visible=queries.results_visible(survey, current_user))


# ---------------------------------------------------------------------------------------------------
# Results, report, charts, exports


def _visible_results(survey_id: int):
    survey = services.get_visible(survey_id, current_user)
    if not queries.results_visible(survey, current_user):
        raise Forbidden(_l("결과는 여론조사가 마감된 뒤 공개됩니다."), code="results_not_published")
    return survey


@bp.get("/<int:survey_id>/results")
def results(survey_id):
    survey = _visible_results(survey_id)
    texts = None
    if queries.is_staff(current_user):
        page, per_page = page_arguments(50)
        texts = queries.text_answers(survey, request.args.get("question", type=int),
                                     request.args.get("q", "")[:100] or None, page, per_page)
    return render_template("surveys/results.html", survey=survey, results=survey.results, texts=texts,
                           report=False, **_reading_aids(survey))


@bp.get("/<int:survey_id>/report")
def report(survey_id):
    survey = _visible_results(survey_id)
    return render_template("surveys/results.html", survey=survey, results=survey.results, texts=None, report=True,
                           **_reading_aids(survey))


def _histograms(survey) -> dict[int, list[tuple[str, int]]]:
    """Each number question's answers as histogram bars (label, count), by question id."""
    return {entry["id"]: [(statistics.bin_label(low, high), count) for low, high, count in statistics.histogram(
        {item["value"]: item["count"] for item in entry.get("distribution", [])})]
        for entry in (survey.results or {}).get("questions", []) if entry["type"] == QuestionType.number}


def _reading_aids(survey) -> dict:
    return {"scale_ends": queries.scale_ends(survey), "histograms": _histograms(survey)}


@bp.get("/<int:survey_id>/charts/<int:question_id>.svg")
def chart(survey_id, question_id):
    survey = _visible_results(survey_id)
    entry = next((q for q in (survey.results or {}).get("questions", []) if q["id"] == question_id), None)
    if entry is None or entry["type"] == QuestionType.text:
        raise NotFound()
    config = {"show_legend": False, "width": 640, "height": 320 if entry["type"] in CHOICE_TYPES else 280,
              "js": [], "disable_xml_declaration": True, "print_values": True,
              "style": pygal.style.Style(background="white", plot_background="white", colors=("#0b4ea2",),
                                         font_family="Noto Sans KR, sans-serif", value_font_size=14)}
    if entry["type"] in CHOICE_TYPES:
        graph = pygal.HorizontalBar(**config)
        graph.x_labels = [option["label"] for option in entry["options"]]
        graph.add(_("응답 수"), [option["count"] for option in entry["options"]])
    elif entry["type"] == QuestionType.likert:
        # The scale's ends in words under its first and last bars.
        low, high = queries.scale_ends(survey).get(question_id, ("", ""))
        graph = pygal.Bar(**config)
        distribution = entry.get("distribution", [])
        graph.x_labels = [f"{item['value']:g}" + (f" {low}" if index == 0 else f" {high}" if index == 4 else "")
                          for index, item in enumerate(distribution)]
        graph.add(_("응답 수"), [item["count"] for item in distribution])
    else:
        # Numbers as a histogram: equal-width bins, the empty ones too.
        bars = _histograms(survey)[question_id]
        graph = pygal.Bar(**{**config, "spacing": 0, "x_label_rotation": 30 if len(bars) > 6 else 0})
        graph.x_labels = [label for label, _count in bars]
        graph.add(_("응답 수"), [count for _label, count in bars])
    response = Response(graph.render(is_unicode=True), mimetype="image/svg+xml")
    # The chart is an image with its own inline styles and no script.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@bp.get("/<int:survey_id>/export/<any(tidy, wide):shape>.csv", defaults={"fmt": "csv"})
@bp.get("/<int:survey_id>/export/<any(tidy, wide):shape>.xlsx", defaults={"fmt": "xlsx"})
@login_required
def export(survey_id, shape, fmt):
    survey = _staff_survey(survey_id)
    header, rows = queries.export_tidy(survey) if shape == "tidy" else queries.export_wide(survey)
    return table_response(header, rows, f"survey-{survey.id}-{shape}", fmt)


# ---------------------------------------------------------------------------------------------------
# Staff: build, preview, open and close, duplicate, population frames


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require_role(current_user, Role.staff)
    form = forms.SurveyForm()
    if form.validate_on_submit():
        try:
            survey = building.create_survey(current_user, form.fields_dict())
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            flash(_("여론조사를 만들었습니다. 이제 문항을 추가해 주세요."), "success")
            return redirect(url_for("surveys.edit", survey_id=survey.id), 303)
    return render_template("surveys/survey_form.html", form=form), 422 if form.errors else 200


def _kst_naive(moment):
    return to_kst(moment).replace(tzinfo=None) if moment else None


@bp.route("/<int:survey_id>/edit", methods=["GET", "POST"])
@login_required
def edit(survey_id):
    survey = _staff_survey(survey_id)
    form = forms.SurveyForm(data={"title": survey.title, "intro": survey.intro, "thanks": survey.thanks,
                                  "target_district": survey.target_district or "",
                                  "target_age_band": survey.target_age_band or "",
                                  "requires_identity": survey.verification == "identity",
                                  "opens_at": _kst_naive(survey.opens_at), "closes_at": _kst_naive(survey.closes_at)})
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                building.update_survey(current_user, survey, form.fields_dict())
            except ValidationError as error:
                db.session.rollback()
                apply_errors(form, error)
            else:
                db.session.commit()
                flash(_("저장했습니다."), "success")
                return redirect(url_for("surveys.edit", survey_id=survey.id), 303)
        status = 422
    return render_template("surveys/edit.html", survey=survey, form=form, section_form=forms.SectionForm(),
                           confirm=ConfirmForm(), problems=building.definition_problems(survey)), status


@bp.post("/<int:survey_id>/sections")
@login_required
def add_section(survey_id):
    survey = _staff_survey(survey_id)
    form = forms.SectionForm()
    require_valid(form)
    building.add_section(current_user, survey, form.title.data)
    db.session.commit()
    flash(_("섹션을 추가했습니다."), "success")
    return redirect(url_for("surveys.edit", survey_id=survey.id), 303)


def _question_page(survey, form, section, question=None, status=200):
    return render_template("surveys/question_form.html", survey=survey, form=form, section=section,
                           question=question), status


@bp.route("/<int:survey_id>/sections/<int:section_id>/questions/new", methods=["GET", "POST"])
@login_required
def new_question(survey_id, section_id):
    survey = _staff_survey(survey_id)
    section = _owned(SurveySection, section_id, survey)
    building.require_draft(survey)
    form = forms.QuestionForm()
    if form.validate_on_submit():
        try:
            building.add_question(current_user, section, form.spec())
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            flash(_("문항을 추가했습니다."), "success")
            return redirect(url_for("surveys.edit", survey_id=survey.id, _anchor=f"section-{section.id}"), 303)
    return _question_page(survey, form, section, status=422 if form.errors or form.form_errors else 200)


@bp.route("/<int:survey_id>/questions/<int:question_id>/edit", methods=["GET", "POST"])
@login_required
def edit_question(survey_id, question_id):
    survey = _staff_survey(survey_id)
    question = _owned(Question, question_id, survey)
    building.require_draft(survey)
    positions = {section.id: index for index, section in enumerate(survey.sections)}
    if request.method == "GET":
        form = forms.QuestionForm(data={
            "type": question.type, "text": question.text, "required": question.required,
            "options": "\n".join(option.label for option in question.options),
            "max_choices": question.max_choices or "", "shuffle_options": question.shuffle_options,
            "min": "" if question.min_value is None else f"{question.min_value:g}",
            "max": "" if question.max_value is None else f"{question.max_value:g}",
            "low_label": question.low_label or "", "high_label": question.high_label or ""})
        return _question_page(survey, form, question.section, question)
    form = forms.QuestionForm()
    if form.validate_on_submit():
        skips = {index: positions.get(option.skip_to_section_id) for index, option in enumerate(question.options)}
        if form.type.data != QuestionType.single:
            skips = {}
        try:
            building.update_question(current_user, question, form.spec(skips))
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            flash(_("문항을 고쳤습니다."), "success")
            return redirect(url_for("surveys.edit", survey_id=survey.id, _anchor=f"question-{question.id}"), 303)
    return _question_page(survey, form, question.section, question, status=422)


@bp.post("/<int:survey_id>/questions/<int:question_id>/delete")
@login_required
def delete_question(survey_id, question_id):
    survey = _staff_survey(survey_id)
    require_valid(ConfirmForm())
    building.delete_question(current_user, _owned(Question, question_id, survey))
    db.session.commit()
    flash(_("문항을 지웠습니다."), "success")
    return redirect(url_for("surveys.edit", survey_id=survey.id), 303)


@bp.post("/<int:survey_id>/questions/<int:question_id>/skip")
@login_required
def set_skip(survey_id, question_id):
    survey = _staff_survey(survey_id)
    question = _owned(Question, question_id, survey)
    require_valid(ConfirmForm())
    option = _owned(Option, request.form.get("option", type=int) or 0, survey)
    if option.question_id != question.id:
        raise NotFound()
    section_id = request.form.get("section", type=int)
    section = _owned(SurveySection, section_id, survey) if section_id else None
    building.set_skip(current_user, option, section)
    db.session.commit()
    flash(_("건너뛰기 규칙을 저장했습니다."), "success")
    return redirect(url_for("surveys.edit", survey_id=survey.id, _anchor=f"question-{question.id}"), 303)


@bp.get("/<int:survey_id>/preview/<int:number>")
@login_required
def preview(survey_id, number):
    survey = _staff_survey(survey_id)
    return _section_page(survey, number, preview=True)


@bp.post("/<int:survey_id>/duplicate")
@login_required
def duplicate(survey_id):
    survey = _staff_survey(survey_id)
    require_valid(ConfirmForm())
    copy = building.duplicate_survey(current_user, survey)
    db.session.commit()
    flash(_("사본을 만들었습니다. 고친 뒤 열어 주세요."), "success")
    return redirect(url_for("surveys.edit", survey_id=copy.id), 303)


@bp.post("/<int:survey_id>/transitions")
@login_required
def transition(survey_id):
    survey = _staff_survey(survey_id)
    require_valid(ConfirmForm())
    services.transition(survey, request.form.get("to", ""), current_user, request.form.get("reason") or None)
    db.session.commit()
    flash(_("여론조사 상태를 '%(state)s'(으)로 바꿨습니다.", state=STATE_LABELS[str(survey.state)]), "success")
    return redirect(url_for("surveys.detail", survey_id=survey.id), 303)


@bp.route("/population", methods=["GET", "POST"])
@login_required
def population():
    require_role(current_user, Role.staff)
    form = forms.FrameForm()
    if form.validate_on_submit():
        try:
            frames.load_population_frame(current_user, form.file.data.read(), is_example=form.is_example.data)
        except ValidationError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            flash(_("인구 자료를 불러왔습니다. 다음 집계부터 가중치를 적용합니다."), "success")
            return redirect(url_for("surveys.population"), 303)
    return render_template("surveys/population.html", form=form, frame=queries.newest_frame()), (
        422 if form.errors else 200)
