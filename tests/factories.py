"""factory_boy factories. `bind(session)` points them at the test's session (conftest does it)."""

import factory

from participation.accounts.models import User, UserRole
from participation.accounts.services import canonical_email, password_hasher
from participation.core.time import utcnow

PASSWORD = "correct-horse-battery"
_PASSWORD_HASH = password_hasher.hash(PASSWORD)
_factories: list = []


def bind(session) -> None:
    for factory_class in _factories:
        factory_class._meta.sqlalchemy_session = session


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_persistence = "flush"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _factories.append(cls)


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"citizen{n}@example.com")
    email_canonical = factory.LazyAttribute(lambda user: canonical_email(user.email))
    password_hash = _PASSWORD_HASH
    display_name = factory.Sequence(lambda n: f"시민{n}")
    district = "마포구"
    birth_year = 1990
    email_verified_at = factory.LazyFunction(utcnow)

    @factory.post_generation
    def roles(user, create, extracted, **kwargs):
        for role in extracted or ():
            user.role_rows.append(UserRole(role=role))


def moderator(**kwargs) -> User:
    return UserFactory(roles=["moderator"], **kwargs)


def staff(**kwargs) -> User:
    return UserFactory(roles=["staff"], **kwargs)


def admin(**kwargs) -> User:
    return UserFactory(roles=["admin"], **kwargs)


def verified_person(user, label: str | None = None) -> User:
    """The account linked to a verified person (본인인증), as if it had verified at the provider: `label` stands
    for the provider's person identifier (only its keyed hash is stored)."""
    from participation.accounts.identity import person_hash
    from participation.accounts.models import VerifiedIdentity

    session = UserFactory._meta.sqlalchemy_session
    session.add(VerifiedIdentity(user_id=user.id, person_hash=person_hash(label or f"CI-test-{user.id}"),
                                 issuer="test", district=user.district, birth_year=user.birth_year))
    session.flush()
    session.expire(user, ["identity"])
    return user


# --- proposals (시민제안) -------------------------------------------------------------------------------------

from participation.proposals.models import Proposal  # noqa: E402


class ProposalFactory(BaseFactory):
    """A citizen's proposal waiting for moderation; `open_proposal()` gives one collecting supports."""

    class Meta:
        model = Proposal

    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"한강 공원에 그늘막을 늘려 주세요 {n}")
    problem = "여름에 쉴 곳이 없습니다."
    body = "한강 공원 산책로에 그늘막과 벤치를 더 설치해 주세요."
    expected_effect = "시민들이 더위를 피할 수 있습니다."
    category = "environment"
    district = "마포구"
    state = "pending"
    source = "web"


def open_proposal(**kwargs):
    """A published proposal with the default rules (50 → review, 100 → discussion, 30 days)."""
    from datetime import timedelta

    values = {"state": "open", "published_at": utcnow(), "closes_at": utcnow() + timedelta(days=30),
              "review_threshold": 50, "discussion_threshold": 100, "answer_days": 30}
    return ProposalFactory(**{**values, **kwargs})


# --- petitions (청원) -----------------------------------------------------------------------------------------

from participation.petitions.models import Petition, Signature  # noqa: E402


class PetitionFactory(BaseFactory):
    """A citizen's petition waiting for moderation; `open_petition()` gives one collecting signatures."""

    class Meta:
        model = Petition

    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"심야버스 노선을 늘려 주세요 {n}")
    body = "밤 늦게 퇴근하는 시민을 위해 **심야버스** 노선을 늘려 주세요."
    kind = "general"
    category = "transport"
    state = "pending"
    submitted_at = factory.LazyFunction(utcnow)


def open_petition(**kwargs):
    """A published petition with the default rules (1,000 signatures in 30 days, answer in 90 days)."""
    from datetime import timedelta

    values = {"state": "open", "published_at": utcnow(), "closes_at": utcnow() + timedelta(days=30),
              "signature_days": 30, "answer_threshold": 1000, "debate_threshold": 5000, "answer_days": 90,
              "count_as_of": utcnow(), **kwargs}
    return PetitionFactory(**values)


class SignatureFactory(BaseFactory):
    class Meta:
        model = Signature

    petition_id = factory.LazyFunction(lambda: open_petition().id)
    user_id = factory.LazyFunction(lambda: UserFactory().id)
    district = "마포구"
    age_band = "30-39"


# --- polls (엠보팅) ----------------------------------------------------------------------------------------------

from datetime import timedelta  # noqa: E402

from participation.polls.models import Poll, PollOption, PollTag  # noqa: E402


class PollFactory(BaseFactory):
    """An open staff poll with three options; pass `labels=[...]` for others and `tags=[...]`."""

    class Meta:
        model = Poll

    class Params:
        labels = ("찬성", "반대", "잘 모르겠다")

    title = factory.Sequence(lambda n: f"서울 정책 투표 {n}")
    description = "시민 여러분의 생각을 알려 주세요."
    state = "open"
    by_staff = True
    max_choices = 1
    results_visibility = "live"
    eligible_districts = factory.LazyFunction(list)
    eligible_age_bands = factory.LazyFunction(list)
    opens_at = factory.LazyFunction(lambda: utcnow() - timedelta(hours=1))
    closes_at = factory.LazyFunction(lambda: utcnow() + timedelta(days=7))
    options = factory.LazyAttribute(
        lambda poll: [PollOption(position=number, label=label) for number, label in enumerate(poll.labels, 1)])

    @factory.post_generation
    def tags(poll, create, extracted, **kwargs):
        for tag in extracted or ():
            poll.tag_rows.append(PollTag(tag=tag))

    @factory.post_generation
    def sealed(poll, create, extracted, **kwargs):
        """The poll's key pair, as the worker's job makes it (pass `sealed=False` for a poll without one)."""
        if extracted is not False:
            give_key(poll)


def give_key(poll):
    """Make the poll's key pair in the test's key directory, as tasks.make_poll_key does (the poll is flushed)."""
    from participation.core import tally_keys

    session = PollFactory._meta.sqlalchemy_session
    if poll.id is None:
        session.flush()
    poll.public_key = tally_keys.create("poll", poll.id)
    session.flush()
    return poll


# --- Surveys (온라인 여론조사) ------------------------------------------------------------------

from participation.surveys.models import PopulationCell, PopulationFrame  # noqa: E402


def survey(author=None, questions=(), *, open_it=True, sections=None, **fields):
    """A survey built through the service (as staff do), opened unless `open_it` is false."""
    from participation.surveys import building, services

    author = author or staff()
    data = {"title": "서울 대중교통 만족도 조사", "intro": "잠시 시간을 내 주세요.", "thanks": "고맙습니다.",
            "questions": list(questions), **fields}
    if sections:
        data["sections"] = list(sections)
    created = building.create_survey_with_questions(author, data)
    if open_it:
        services.transition(created, "open", author)
    return created


def population_frame(cells: dict, *, source="예시 인구 자료 (시험용)", is_example=True) -> PopulationFrame:
    """A small population frame {(district, age band): count}, labelled as an example."""
    from datetime import date

    frame = PopulationFrame(source=source, as_of=date(2024, 12, 31), is_example=is_example)
    frame.cells = [PopulationCell(district=d, age_band=a, count=n) for (d, a), n in cells.items()]
    session = UserFactory._meta.sqlalchemy_session
    session.add(frame)
    session.flush()
    return frame


# --- Forums (공론장) ----------------------------------------------------------------------------

from participation.forums.models import Comment, Forum, Reaction, Statement  # noqa: E402


class ForumFactory(BaseFactory):
    """An open forum (시민에게 묻습니다); pass state="draft" and opened_at=None for a draft."""

    class Meta:
        model = Forum

    title = "따릉이 요금, 어떻게 조정할까요?"
    background = "따릉이 **이용 요금** 조정안에 대한 배경 설명입니다."
    state = "open"
    opened_at = factory.LazyFunction(utcnow)
    closes_at = factory.LazyFunction(lambda: utcnow() + timedelta(days=30))


class ForumCommentFactory(BaseFactory):
    class Meta:
        model = Comment

    forum_id = factory.LazyFunction(lambda: ForumFactory().id)
    author_id = factory.LazyFunction(lambda: UserFactory().id)
    stance = "pro"
    body = "요금을 올리더라도 자전거를 늘려 주세요."


class ForumStatementFactory(BaseFactory):
    class Meta:
        model = Statement

    forum_id = factory.LazyFunction(lambda: ForumFactory().id)
    text = factory.Sequence(lambda n: f"따릉이 의견 문장 {n}")
    state = "approved"


class ForumReactionFactory(BaseFactory):
    class Meta:
        model = Reaction

    value = "agree"


# --- Indicators (지표) -------------------------------------------------------------------------------
from participation.indicators.models import IndicatorValue  # noqa: E402


class IndicatorValueFactory(BaseFactory):
    """A stored value; give `indicator` (from the loaded catalogue) and `year`."""

    class Meta:
        model = IndicatorValue

    year = 2024
    value = 0
    source = "manual"
    computed_at = factory.LazyFunction(utcnow)


# --- Participatory budgeting (시민참여예산) ---------------------------------------------------------------

from participation.budgets.models import BudgetProcess, BudgetProject  # noqa: E402


class BudgetProcessFactory(BaseFactory):
    """A 마포구 process of 5억원 in its voting phase with a knapsack ballot; pass `state=` for another phase."""

    class Meta:
        model = BudgetProcess

    title = factory.Sequence(lambda n: f"마포구 주민참여예산 {n}")
    description = "우리 동네에 필요한 사업을 주민이 직접 고릅니다."
    state = "voting"
    district = "마포구"
    budget = 500_000_000
    ballot_kind = "knapsack"
    rule = "greedy"
    categories = factory.LazyFunction(list)
    eligible_age_bands = factory.LazyFunction(list)
    voting_opens_at = factory.LazyFunction(lambda: utcnow() - timedelta(days=1))
    voting_opened_at = factory.LazyFunction(lambda: utcnow() - timedelta(days=1))
    voting_closes_at = factory.LazyFunction(lambda: utcnow() + timedelta(days=7))

    @factory.post_generation
    def sealed(process, create, extracted, **kwargs):
        """The process's key pair, as the worker's job makes it (pass `sealed=False` for a process without one)."""
        if extracted is not False:
            give_budget_key(process)


def give_budget_key(process):
    """Make the process's key pair in the test's key directory, as tasks.make_budget_key does."""
    from participation.core import tally_keys

    session = BudgetProcessFactory._meta.sqlalchemy_session
    if process.id is None:
        session.flush()
    process.public_key = tally_keys.create("budget", process.id)
    session.flush()
    return process


class BudgetProjectFactory(BaseFactory):
    """A feasible project of 1억원; pass `process=` (required) and `status=`/`cost=`."""

    class Meta:
        model = BudgetProject

    process = None
    title = factory.Sequence(lambda n: f"골목길 안심 조명 설치 {n}")
    description = "어두운 골목에 LED 보안등을 설치합니다."
    district = "마포구"
    category = "safety"
    cost = 100_000_000
    estimated_cost = factory.LazyAttribute(lambda project: project.cost)
    status = "feasible"


def budget_with_projects(costs=(100_000_000, 200_000_000, 300_000_000), **fields):
    """A process (BudgetProcessFactory fields) with one feasible project per cost."""
    process = BudgetProcessFactory(**fields)
    for cost in costs:
        BudgetProjectFactory(process=process, cost=cost)
    return process
