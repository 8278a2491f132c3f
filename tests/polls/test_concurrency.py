"""Votes at once against a real server (gunicorn, two processes × eight threads) and a real database."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests
from sqlalchemy import func, select

from participation.accounts.models import User, UserRole
from participation.accounts.services import issue_token
from participation.core import tally_keys
from participation.core.jobs import get_queue
from participation.core.time import utcnow
from participation.extensions import db
from participation.polls.models import BallotChoice, Participation, Poll, PollOption, SealedBallot
from participation.polls.tasks import tally_poll


def make_poll_and_voters(app, voters: int) -> tuple[int, list[int], list[str]]:
    with app.app_context():
        users = [User(email=f"voter{n}@example.com", email_canonical=f"voter{n}@example.com",
                      display_name=f"투표자{n}", district="중구", birth_year=1985, email_verified_at=utcnow())
                 for n in range(voters)]
        poll = Poll(title="시청 앞 광장 행사", description="", state="open", by_staff=True, max_choices=2,
                    opens_at=utcnow() - timedelta(hours=1), closes_at=utcnow() + timedelta(days=1),
                    eligible_districts=[], eligible_age_bands=[],
                    options=[PollOption(position=n, label=label)
                             for n, label in enumerate(["음악회", "장터", "영화"], 1)])
        db.session.add_all([*users, poll])
        db.session.flush()
        poll.public_key = tally_keys.create("poll", poll.id)  # as the worker's key job does
        tokens = [issue_token(user) for user in users]
        db.session.commit()
        result = poll.id, [option.id for option in poll.options], tokens
        db.session.remove()
        return result


def post_all(url: str, requests_to_send: list[tuple[dict, dict]]) -> list[int]:
    barrier = threading.Barrier(len(requests_to_send))

    def send(item):
        headers, body = item
        barrier.wait()
        return requests.post(url, json=body, headers=headers, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=len(requests_to_send)) as pool:
        return list(pool.map(send, requests_to_send))


def counts(app, poll_id: int) -> tuple[int, int, int]:
    """Participation rows, sealed ballots waiting, opened ballots' choices."""
    with app.app_context():
        result = (db.session.scalar(select(func.count()).select_from(Participation)
                                    .where(Participation.poll_id == poll_id)),
                  db.session.scalar(select(func.count()).select_from(SealedBallot)
                                    .where(SealedBallot.box_id == poll_id)),
                  db.session.scalar(select(func.count()).select_from(BallotChoice)
                                    .where(BallotChoice.poll_id == poll_id)))
        db.session.remove()
        return result


def test_many_distinct_voters_at_once(app, redis, live_server):
    poll_id, option_ids, tokens = make_poll_and_voters(app, 40)
    statuses = post_all(f"{live_server}/api/v1/polls/{poll_id}/ballots",
                        [({"Authorization": f"Bearer {token}"}, {"choices": option_ids[:2]}) for token in tokens])
    assert statuses == [201] * 40
    assert counts(app, poll_id) == (40, 40, 0)  # forty voters, forty sealed ballots, nothing in the clear
    # The burst asked for one tally job, not forty (nobody ran it yet).
    with app.app_context():
        assert len(get_queue().scheduled_job_registry.get_job_ids()) == 1


def test_one_voter_submitting_thirty_times_at_once_gets_one_ballot(app, live_server):
    poll_id, option_ids, tokens = make_poll_and_voters(app, 1)
    headers = {"Authorization": f"Bearer {tokens[0]}"}
    statuses = post_all(f"{live_server}/api/v1/polls/{poll_id}/ballots",
                        [(headers, {"choices": [option_ids[0]]})] * 30)
    assert sorted(statuses) == [201] + [409] * 29
    assert counts(app, poll_id) == (1, 1, 0)


def test_votes_in_flight_while_staff_closes_early_are_in_the_final_tally_or_refused(app, redis, live_server):
    """Eighty voters press 투표하기 while a staff member closes the poll early; the final tally runs the moment
    the close answers. Every accepted ballot is in the frozen result, and none was stored after closed_at."""
    poll_id, option_ids, tokens = make_poll_and_voters(app, 80)
    with app.app_context():
        officer = User(email="officer@example.com", email_canonical="officer@example.com", display_name="담당 주무관",
                       district="중구", birth_year=1980, email_verified_at=utcnow(), role_rows=[UserRole(role="staff")])
        db.session.add(officer)
        db.session.flush()
        officer_token = issue_token(officer)
        db.session.commit()
        db.session.remove()
    ballots_url = f"{live_server}/api/v1/polls/{poll_id}/ballots"
    barrier = threading.Barrier(len(tokens) + 1)
    answers: dict[str, list] = {"votes": [], "close": []}

    def vote(token: str) -> None:
        barrier.wait()
        response = requests.post(ballots_url, json={"choices": [option_ids[0]]}, timeout=60,
                                 headers={"Authorization": f"Bearer {token}"})
        answers["votes"].append((response.status_code, response.json().get("error", {}).get("code")))

    def close_then_tally() -> None:
        barrier.wait()
        time.sleep(0.05)  # let the first ballots get under way
        response = requests.post(f"{live_server}/api/v1/polls/{poll_id}/transitions", timeout=60,
                                 json={"to": "closed", "reason": "시스템 점검으로 조기 마감"},
                                 headers={"Authorization": f"Bearer {officer_token}"})
        answers["close"].append(response.status_code)
        with app.app_context():
            tally_poll(poll_id)
            db.session.remove()

    with ThreadPoolExecutor(max_workers=len(tokens) + 1) as pool:
        futures = [pool.submit(vote, token) for token in tokens] + [pool.submit(close_then_tally)]
        for future in futures:
            future.result()

    assert answers["close"] == [200]
    accepted = sum(1 for status, _code in answers["votes"] if status == 201)
    refused = [code for status, code in answers["votes"] if status != 201]
    assert set(refused) <= {"poll_not_open"} and accepted + len(refused) == 80
    with app.app_context():
        poll = db.session.get(Poll, poll_id)
        assert poll.state == "tallied"
        assert poll.total_ballots == accepted
        assert [option.votes for option in poll.options] == [accepted, 0, 0]
        latest_vote = db.session.scalar(select(func.max(Participation.created_at)).where(
            Participation.poll_id == poll_id))
        assert latest_vote is None or latest_vote <= poll.closed_at
        db.session.remove()
    assert counts(app, poll_id) == (accepted, 0, accepted)  # every sealed ballot opened by the final tally
