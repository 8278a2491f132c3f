"""Online surveys (온라인 여론조사): a survey of sections and questions, one response per person, the
answers, the stored results, and the population frames that weighting uses."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.core.models import Base
from participation.core.time import utcnow

TITLE_MAX = 200
QUESTION_TEXT_MAX = 500
OPTION_LABEL_MAX = 200
TEXT_ANSWER_MAX = 2000
LIKERT_MIN, LIKERT_MAX = 1, 5


class SurveyState(enum.StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"


class QuestionType(enum.StrEnum):
    single = "single"
    multiple = "multiple"
    likert = "likert"
    number = "number"
    text = "text"


CHOICE_TYPES = (QuestionType.single, QuestionType.multiple)


class Survey(Base):
    __tablename__ = "survey"
    __table_args__ = (
        CheckConstraint("state in ('draft', 'open', 'closed')", name="state"),
        CheckConstraint("closes_at is null or opens_at is null or closes_at > opens_at", name="window"),
        Index("ix_survey_state_opened_at", "state", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    intro: Mapped[str] = mapped_column(Text, default="")
    thanks: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[SurveyState] = mapped_column(String(20), default=SurveyState.draft)
    # Who may answer: everybody when both are empty.
    target_district: Mapped[str | None] = mapped_column(String(10))
    target_age_band: Mapped[str | None] = mapped_column(String(10))
    # What answering requires: "email" or "identity" (본인인증), as staff chose.
    verification: Mapped[str] = mapped_column(String(10), default="email", server_default="email")
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None] = mapped_column(index=True)
    closed_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    duplicated_from_id: Mapped[int | None] = mapped_column(ForeignKey("survey.id", ondelete="SET NULL"))
    # Written only by the recount job: submitted responses and the aggregates, as of their time.
    response_count: Mapped[int] = mapped_column(Integer, default=0)
    results: Mapped[dict | None] = mapped_column(JSON)
    results_as_of: Mapped[datetime | None]

    sections: Mapped[list["SurveySection"]] = relationship(
        back_populates="survey", order_by="SurveySection.position", cascade="all, delete-orphan")
    # Every question in survey order (read only: questions are added through their section).
    questions: Mapped[list["Question"]] = relationship(order_by="Question.position", viewonly=True)


class SurveySection(Base):
    """A page of the survey: respondents see one section at a time."""

    __tablename__ = "survey_section"
    __table_args__ = (UniqueConstraint("survey_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(TITLE_MAX), default="")

    survey: Mapped[Survey] = relationship(back_populates="sections")
    questions: Mapped[list["Question"]] = relationship(
        back_populates="section", order_by="Question.position", cascade="all, delete-orphan")


class Question(Base):
    __tablename__ = "survey_question"
    __table_args__ = (
        UniqueConstraint("survey_id", "position"),
        CheckConstraint("type in ('single', 'multiple', 'likert', 'number', 'text')", name="type"),
        CheckConstraint("max_choices is null or max_choices >= 1", name="max_choices"),
        CheckConstraint("min_value is null or max_value is null or min_value <= max_value", name="bounds"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    section_id: Mapped[int] = mapped_column(ForeignKey("survey_section.id", ondelete="CASCADE"), index=True)
    # Order across the whole survey (Q1, Q2, …), kept in section order.
    position: Mapped[int]
    type: Mapped[QuestionType] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(QUESTION_TEXT_MAX))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    max_choices: Mapped[int | None]
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    low_label: Mapped[str | None] = mapped_column(String(60))
    high_label: Mapped[str | None] = mapped_column(String(60))
    shuffle_options: Mapped[bool] = mapped_column(Boolean, default=False)

    survey: Mapped[Survey] = relationship()
    section: Mapped[SurveySection] = relationship(back_populates="questions")
    options: Mapped[list["Option"]] = relationship(
        back_populates="question", order_by="Option.position", cascade="all, delete-orphan",
        foreign_keys="Option.question_id")


class Option(Base):
    __tablename__ = "survey_option"
    __table_args__ = (UniqueConstraint("question_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_question.id", ondelete="CASCADE"))
    position: Mapped[int]
    label: Mapped[str] = mapped_column(String(OPTION_LABEL_MAX))
    # Skip logic: choosing this option (single choice) jumps to a later section.
    skip_to_section_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_section.id", ondelete="SET NULL"))

    question: Mapped[Question] = relationship(back_populates="options", foreign_keys=[question_id])


class Response(Base):
    """One person's response: a draft while they answer (saved and resumed), then submitted once."""

    __tablename__ = "survey_response"
    __table_args__ = (
        UniqueConstraint("survey_id", "user_id"),
        Index("ix_survey_response_survey_submitted", "survey_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    # The respondent's profile when they started, kept even if the profile changes later.
    district: Mapped[str | None] = mapped_column(String(10))
    age_band: Mapped[str | None] = mapped_column(String(10))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    # The section (position) to resume at.
    resume_position: Mapped[int] = mapped_column(Integer, default=0)

    answers: Mapped[list["Answer"]] = relationship(back_populates="response", cascade="all, delete-orphan")


class Answer(Base):
    """One answer value: a chosen option (one row per option of a multiple choice), a number, or a text."""

    __tablename__ = "survey_answer"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id", "option_id"),
        Index("ix_survey_answer_question_option", "question_id", "option_id"),
        CheckConstraint("option_id is not null or number_value is not null or text_value is not null",
                        name="has_value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_response.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_question.id", ondelete="CASCADE"))
    option_id: Mapped[int | None] = mapped_column(ForeignKey("survey_option.id", ondelete="CASCADE"))
    number_value: Mapped[float | None] = mapped_column(Float)
    text_value: Mapped[str | None] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="answers")


class PopulationFrame(Base):
    """Seoul's population by district and age band, as published by the city (source and date stored).
    Weighting uses the newest frame; without one it stays off."""

    __tablename__ = "survey_population_frame"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(300))
    as_of: Mapped[date] = mapped_column(Date)
    is_example: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    cells: Mapped[list["PopulationCell"]] = relationship(cascade="all, delete-orphan")


class PopulationCell(Base):
    __tablename__ = "survey_population_cell"
    __table_args__ = (UniqueConstraint("frame_id", "district", "age_band"),
                      CheckConstraint("count >= 0", name="count"))

    id: Mapped[int] = mapped_column(primary_key=True)
    frame_id: Mapped[int] = mapped_column(ForeignKey("survey_population_frame.id", ondelete="CASCADE"))
    district: Mapped[str] = mapped_column(String(10))
    age_band: Mapped[str] = mapped_column(String(10))
    count: Mapped[int]
