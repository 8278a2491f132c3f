"""Channel rows for the benchmarks, inserted in bulk (bench/data.py), shaped after each channel's models."""

import hashlib
import random
import secrets
from datetime import timedelta

import sqlalchemy as sa

from bench.data import NOW, bulk_insert, has_table, max_id, reset_sequences
from bench.harness import Skip

CATEGORIES = ("transport", "safety", "environment", "welfare", "housing", "economy", "culture", "education",
              "health", "administration", "other")
WORDS = ("버스", "지하철", "공원", "어린이집", "주차장", "자전거", "도서관", "보행로", "가로등", "미세먼지", "청년",
         "어르신", "복지관", "하천", "놀이터", "횡단보도", "소음", "쓰레기", "재활용", "전통시장", "교차로", "배수로")
# One word in about 1% of titles: the search scenario looks for it.
RARE = "따릉이"
DISTRICTS = ("강남구", "서초구", "송파구", "마포구", "종로구", "중구", "용산구", "성동구", "광진구", "노원구")


def require(*tables: str) -> None:
    missing = [name for name in tables if not has_table(name)]
    if missing:
        raise Skip(f"tables not there yet: {', '.join(missing)}")


def require_route(app, rule: str, method: str = "GET") -> None:
    for known in app.url_map.iter_rules():
        if known.rule == rule and method in known.methods:
            return
    raise Skip(f"route {method} {rule} does not exist yet")


def title(rnd: random.Random, i: int) -> str:
    words = rnd.sample(WORDS, 3)
    if i % 100 == 7:
        words[1] = RARE
    return f"{words[0]} {words[1]} 개선 요청 {i}: {words[2]}"


def body(rnd: random.Random) -> str:
    return " ".join(rnd.choice(WORDS) for _ in range(40)) + " 문제를 해결해 주세요."


# -------------------------------------------------------------------------------------------------- polls
def make_poll(options: int = 4, title_text: str = "벤치마크 투표: 올해의 정책",
              max_choices: int = 1) -> tuple[int, list[int]]:
    """An open staff poll with live results and its key pair (as the worker's job makes it). Returns (poll id,
    option ids)."""
    from participation.core import tally_keys

    require("poll", "poll_option")
    poll_id = max_id("poll") + 1
    bulk_insert("poll", [{"id": poll_id, "title": title_text, "description": "벤치마크", "state": "open",
                          "public_key": tally_keys.create("poll", poll_id),
                          "by_staff": True, "max_choices": max_choices, "results_visibility": "live",
                          "eligible_districts": [], "eligible_age_bands": [], "created_at": NOW - timedelta(days=1),
                          "opens_at": NOW - timedelta(days=1), "closes_at": NOW + timedelta(days=30),
                          "total_ballots": 0}])
    first = max_id("poll_option") + 1
    option_ids = list(range(first, first + options))
    bulk_insert("poll_option", [{"id": option_id, "poll_id": poll_id, "position": n + 1, "label": f"선택지 {n + 1}",
                                 "votes": 0} for n, option_id in enumerate(option_ids)])
    reset_sequences()
    return poll_id, option_ids


def make_budget(projects: int = 12, budget: int = 500_000_000) -> tuple[int, list[int]]:
    """A city-wide budgeting process in its voting phase (knapsack ballot, greedy) with `projects` feasible projects
    of 2천만원 to 1억원 and its key pair (as the worker's job makes it). Returns (process id, project ids)."""
    from participation.core import tally_keys

    require("budget_process", "budget_project", "budget_sealed_ballot")
    budget_id = max_id("budget_process") + 1
    bulk_insert("budget_process", [{
        "id": budget_id, "title": "벤치마크 시민참여예산", "description": "벤치마크", "state": "voting",
        "source": "platform", "district": None, "categories": [], "eligible_age_bands": [], "budget": budget,
        "currency": "KRW", "decimals": 0, "ballot_kind": "knapsack", "max_projects": None, "rule": "greedy",
        "created_at": NOW - timedelta(days=10), "voting_opens_at": NOW - timedelta(days=1),
        "voting_opened_at": NOW - timedelta(days=1), "voting_closes_at": NOW + timedelta(days=30),
        "pabulib_meta": {}, "participants": 0, "total_ballots": 0, "allocation": {},
        "public_key": tally_keys.create("budget", budget_id), "mixed_batches": 0, "invalid_ballots": 0}])
    first = max_id("budget_project") + 1
    project_ids = list(range(first, first + projects))
    bulk_insert("budget_project", [{
        "id": project_id, "budget_id": budget_id, "code": None, "title": f"벤치마크 사업 {n + 1}", "description": "",
        "created_at": NOW - timedelta(days=5), "district": None, "category": CATEGORIES[n % len(CATEGORIES)],
        "place": "", "estimated_cost": 20_000_000 * (1 + n % 5), "cost": 20_000_000 * (1 + n % 5),
        "status": "feasible", "assessment": "", "pabulib_fields": {}, "support_count": 0, "votes": 0,
        "outcome": {}, "implementation_note": ""} for n, project_id in enumerate(project_ids)])
    reset_sequences()
    return budget_id, project_ids


def add_ballots(poll_id: int, option_ids: list[int], n: int, user_ids: list[int] | None = None) -> None:
    """n opened secret ballots (one choice each) with their receipts, as one batch the worker opened; with
    user_ids also their participation rows."""
    rnd = random.Random(poll_id)
    ids = [secrets.token_hex(16) for _ in range(n)]
    choices = [option_ids[min(len(option_ids) - 1, int(rnd.expovariate(1.0)))] for _ in range(n)]
    bulk_insert("poll_ballot", ({"id": ids[i], "poll_id": poll_id} for i in range(n)))
    bulk_insert("poll_ballot_choice", ({"ballot_id": ids[i], "option_id": choices[i], "poll_id": poll_id}
                                       for i in range(n)))
    bulk_insert("poll_receipt", ({"poll_id": poll_id, "batch": 1,
                                  "receipt_hash": hashlib.sha256(f"{poll_id}-{i}-{ids[i]}".encode()).hexdigest()}
                                 for i in range(n)))
    from participation.extensions import db

    with db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE poll SET mixed_batches = 1 WHERE id = :id"), {"id": poll_id})
    if user_ids:
        bulk_insert("poll_participation", ({"poll_id": poll_id, "user_id": uid, "created_at": NOW,
                                            "district": DISTRICTS[uid % len(DISTRICTS)], "age_band": "30s"}
                                           for uid in user_ids))


# ---------------------------------------------------------------------------------------------- petitions
def make_petitions(n: int, seed: int = 1) -> list[int]:
    """n public petitions (mostly open, some closed/answered-free closed), newest last. Returns their ids."""
    require("petition")
    rnd = random.Random(seed)
    first = max_id("petition") + 1

    def rows():
        for i in range(n):
            published = NOW - timedelta(minutes=(n - i) * 3)
            state = "closed" if i % 10 == 9 else "open"
            yield {"id": first + i, "title": title(rnd, first + i), "body": body(rnd), "kind": "general",
                   "category": CATEGORIES[i % len(CATEGORIES)], "state": state, "created_at": published,
                   "submitted_at": published, "published_at": published,
                   "closes_at": NOW + timedelta(days=30) if state == "open" else published + timedelta(days=30),
                   "closed_at": None if state == "open" else NOW - timedelta(days=1),
                   "answer_threshold": 50_000, "debate_threshold": 5_000, "signature_days": 30, "answer_days": 90,
                   "signature_count": rnd.randint(0, 3000), "count_as_of": NOW}

    bulk_insert("petition", rows())
    reset_sequences()
    return list(range(first, first + n))


def make_proposals(n: int, seed: int = 2) -> list[int]:
    require("proposal")
    rnd = random.Random(seed)
    first = max_id("proposal") + 1

    def rows():
        for i in range(n):
            published = NOW - timedelta(minutes=(n - i) * 3)
            state = "closed" if i % 10 == 9 else "open"
            yield {"id": first + i, "source": "web", "title": title(rnd, first + i), "problem": "", "body": body(rnd),
                   "expected_effect": "", "category": CATEGORIES[i % len(CATEGORIES)],
                   "district": DISTRICTS[i % len(DISTRICTS)] if i % 3 else None, "state": state,
                   "created_at": published, "submitted_at": published, "published_at": published,
                   "closes_at": NOW + timedelta(days=30) if state == "open" else NOW - timedelta(days=1),
                   "review_threshold": 50, "discussion_threshold": 1000, "answer_days": 30, "forwarded": False,
                   "support_count": rnd.randint(0, 500), "count_as_of": NOW}

    bulk_insert("proposal", rows())
    reset_sequences()
    return list(range(first, first + n))
