"""Redis stopped while citizens sign and vote: every accepted signature and ballot is in the database,
the pages still load, and when Redis is back the periodic reconciliation brings the counts to the
exact values without anyone stepping in. A counter corrupted in the database is restored too."""

import redis as redis_lib
from sqlalchemy import func, select, update

from participation.core.jobs import DEBOUNCE_PREFIX
from participation.extensions import db
from participation.petitions import tasks as petition_tasks
from participation.petitions.models import Petition, Signature
from participation.polls import tasks as poll_tasks
from participation.polls.models import Poll, SealedBallot
from participation.schedule import PERIODIC
from tests import factories
from tests.security.conftest import bearer, form_token, web_client


def run_reconciliation(app) -> None:
    """What the worker's cron runs every few minutes (the indicator refresh aside)."""
    with app.app_context():
        for func_, _seconds in PERIODIC:
            if func_.__module__.endswith("indicators.tasks"):
                continue
            func_()


def sign_on_the_page(app, user_id: int, petition_id: int):
    client = web_client(app, user_id)
    return client.post(f"/petitions/{petition_id}/sign", data={"csrf_token": form_token(client)})


def test_signatures_and_ballots_taken_while_redis_is_down_are_kept_and_counted(
        app, db_session, outage_app, redis_process):
    citizens = [factories.UserFactory(district="관악구") for _ in range(6)]
    petition = factories.open_petition()
    poll = factories.PollFactory()
    ids = [citizen.id for citizen in citizens]
    headers = [bearer(citizen) for citizen in citizens]
    petition_id, poll_id, option_id = petition.id, poll.id, poll.options[0].id
    db_session.commit()

    # Redis up: the first signature schedules its recount.
    assert sign_on_the_page(outage_app, ids[0], petition_id).status_code == 303
    assert redis_lib.Redis.from_url(redis_process.url).exists(f"{DEBOUNCE_PREFIX}recount:petition:{petition_id}")
    redis_process.stop()

    # Redis down: signing on the page and through the API, and voting, are still accepted.
    for user_id in ids[1:3]:
        response = sign_on_the_page(outage_app, user_id, petition_id)
        assert response.status_code == 303, response.get_data(as_text=True)[:300]
    for token in headers[3:5]:
        assert outage_app.test_client().post(f"/api/v1/petitions/{petition_id}/signatures",
                                             headers=token).status_code == 201
    for token in headers[:4]:
        response = outage_app.test_client().post(f"/api/v1/polls/{poll_id}/ballots", headers=token,
                                                 json={"choices": [option_id]})
        assert response.status_code == 201, response.json
    # A second signature is still refused: the database, not Redis, keeps one per person.
    assert outage_app.test_client().post(f"/api/v1/petitions/{petition_id}/signatures",
                                         headers=headers[3]).status_code == 409

    # The pages still load, for visitors and for signers.
    for path in ("/", "/petitions", f"/petitions/{petition_id}", "/polls", f"/polls/{poll_id}",
                 f"/api/v1/petitions/{petition_id}", f"/api/v1/polls/{poll_id}/results"):
        assert outage_app.test_client().get(path).status_code == 200, path
    assert web_client(outage_app, ids[1]).get(f"/petitions/{petition_id}").status_code == 200

    db_session.remove()
    assert db.session.scalar(select(func.count()).select_from(Signature).where(
        Signature.petition_id == petition_id)) == 5
    assert db.session.scalar(select(func.count()).select_from(SealedBallot).where(SealedBallot.box_id == poll_id)) == 4

    # Redis is back (empty: the scheduled recounts are gone); the periodic reconciliation catches up.
    redis_process.start()
    run_reconciliation(outage_app)
    db_session.remove()
    assert db.session.get(Petition, petition_id).signature_count == 5


def test_open_poll_tally_catches_up_after_redis_outage(app, db_session, outage_app, redis_process, monkeypatch):
    monkeypatch.setitem(outage_app.config, "MIX_BATCH", 3)  # the three ballots make a batch
    citizens = [factories.UserFactory() for _ in range(3)]
    poll = factories.PollFactory()
    headers = [bearer(citizen) for citizen in citizens]
    poll_id, option_id = poll.id, poll.options[0].id
    db_session.commit()
    redis_process.stop()
    for token in headers:
        assert outage_app.test_client().post(f"/api/v1/polls/{poll_id}/ballots", headers=token,
                                             json={"choices": [option_id]}).status_code == 201
    redis_process.start()
    run_reconciliation(outage_app)
    db_session.remove()
    assert db.session.get(Poll, poll_id).total_ballots == 3


def test_corrupted_counters_are_restored_by_the_reconciliation(db_session):
    petition = factories.open_petition()
    for _ in range(3):
        factories.SignatureFactory(petition_id=petition.id)
    poll = factories.PollFactory()
    db_session.flush()
    petition_tasks.recount_changing_petitions()
    poll_tasks.tally_all_polls()

    db_session.execute(update(Petition).where(Petition.id == petition.id).values(signature_count=9999))
    db_session.execute(update(Poll).where(Poll.id == poll.id).values(total_ballots=42))
    assert petition_tasks.recount_changing_petitions() == 1  # the drift is found (and logged)
    assert petition_tasks.recount_changing_petitions() == 0  # and gone
    poll_tasks.tally_all_polls()
    db_session.expire_all()
    assert db_session.get(Petition, petition.id).signature_count == 3
    assert db_session.get(Poll, poll.id).total_ballots == 0
