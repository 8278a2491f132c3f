"""Memory-bound jobs, each run in a fresh process of the leg so that its peak resident set (VmHWM) is its own:
the survey export of 100,000 responses, the opinion map of 5,000 participants × 200 statements."""

import json
import random
from datetime import timedelta

from bench.channels import DISTRICTS, require
from bench.context import Bench
from bench.data import NOW, bulk_insert, max_id, reset_sequences
from bench.harness import Row, Skip
from bench.scenarios import scenario

# Runs in the fresh process: create the app, note the memory, run the work, print figures as JSON.
PROBE = """
import json, os, sys, time
from bench.harness import rss_mb
from participation import create_app
app = create_app(json.loads(os.environ["BENCH_CONFIG"]))
with app.app_context():
    from participation.extensions import db
    db.session.execute(db.text("SELECT 1"))
    {imports}
    before = rss_mb(os.getpid(), "VmHWM")
    t0, c0 = time.perf_counter(), time.process_time()
    {work}
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({{"before_mb": before, "peak_mb": rss_mb(os.getpid(), "VmHWM"), "seconds": seconds,
                      "cpu_seconds": cpu, "extra": extra}}))
"""


def probe(bench: Bench, imports: str, work: str) -> dict:
    code = PROBE.format(imports=imports, work=work.replace("\n", "\n    "))
    result = bench.leg.python(code, timeout=900)
    if result.returncode:
        raise RuntimeError(result.stderr.strip().splitlines()[-1] if result.stderr else "probe failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------------- export
@scenario("export")
def export(bench: Bench) -> None:
    require("survey", "survey_section", "survey_question", "survey_option", "survey_response", "survey_answer")
    from participation.surveys import queries

    if not hasattr(queries, "export_tidy"):
        raise Skip("participation.surveys.queries.export_tidy does not exist yet")
    n = bench.settings.export_responses
    survey_id = max_id("survey") + 1
    bulk_insert("survey", [{"id": survey_id, "title": "벤치마크 설문: 대중교통 만족도", "intro": "", "thanks": "",
                            "state": "closed", "opened_at": NOW - timedelta(days=30), "closed_at": NOW,
                            "opens_at": NOW - timedelta(days=30), "closes_at": NOW, "response_count": n}])
    section_id = max_id("survey_section") + 1
    bulk_insert("survey_section", [{"id": section_id, "survey_id": survey_id, "position": 1, "title": ""}])
    kinds = ["single", "multiple", "likert", "number", "text"]
    first_q = max_id("survey_question") + 1
    bulk_insert("survey_question", [{"id": first_q + i, "survey_id": survey_id, "section_id": section_id,
                                     "position": i + 1, "type": kind, "text": f"질문 {i + 1}: 버스 이용은 어떠신가요?",
                                     "required": True, "max_choices": 2 if kind == "multiple" else None,
                                     "min_value": 0 if kind == "number" else None,
                                     "max_value": 100 if kind == "number" else None, "shuffle_options": False}
                                    for i, kind in enumerate(kinds)])
    first_o = max_id("survey_option") + 1
    options = {first_q: [first_o + k for k in range(4)], first_q + 1: [first_o + 4 + k for k in range(4)]}
    bulk_insert("survey_option", [{"id": oid, "question_id": qid, "position": k + 1, "label": f"보기 {k + 1}"}
                                  for qid, oids in options.items() for k, oid in enumerate(oids)])
    first_r = max_id("survey_response") + 1
    bulk_insert("survey_response", ({"id": first_r + i, "survey_id": survey_id, "user_id": None,
                                     "district": DISTRICTS[i % len(DISTRICTS)], "age_band": "40s",
                                     "started_at": NOW - timedelta(days=2), "updated_at": NOW - timedelta(days=1),
                                     "submitted_at": NOW - timedelta(days=1), "resume_position": 0}
                                    for i in range(n)))
    rnd = random.Random(5)

    def answers():
        for i in range(n):
            rid = first_r + i
            yield {"response_id": rid, "question_id": first_q, "option_id": rnd.choice(options[first_q]),
                   "number_value": None, "text_value": None}
            for oid in rnd.sample(options[first_q + 1], 2):
                yield {"response_id": rid, "question_id": first_q + 1, "option_id": oid, "number_value": None,
                       "text_value": None}
            yield {"response_id": rid, "question_id": first_q + 2, "option_id": None,
                   "number_value": float(rnd.randint(1, 5)), "text_value": None}
            yield {"response_id": rid, "question_id": first_q + 3, "option_id": None,
                   "number_value": float(rnd.randint(0, 100)), "text_value": None}
            yield {"response_id": rid, "question_id": first_q + 4, "option_id": None, "number_value": None,
                   "text_value": "배차 간격이 너무 깁니다. 출퇴근 시간에 더 자주 다니면 좋겠습니다."}

    bulk_insert("survey_answer", answers())
    reset_sequences()
    for kind in ("tidy", "wide"):
        figures = probe(bench, "from participation.surveys import queries\n    from participation.surveys.models "
                        "import Survey",
                        f"survey = db.session.get(Survey, {survey_id})\nsize = 0\n"
                        f"for chunk in queries.export_{kind}(survey):\n    size += len(chunk.encode())\n"
                        "extra = size")
        bench.add(Row(scenario=f"survey export of {n:,} responses ({kind} CSV)",
                      figure=f"{figures['peak_mb']:.0f} MB peak", target="peak memory < 200 MB, streaming",
                      met=figures["peak_mb"] < 200,
                      note=f"{figures['seconds']:.1f} s, {figures['extra'] / 1e6:.0f} MB of CSV; the process held "
                           f"{figures['before_mb']:.0f} MB before the export (app loaded)",
                      extra={"gap": f"peak {figures['peak_mb']:.0f} MB"}))


# ---------------------------------------------------------------------------------------------- opinion map
@scenario("opinion_map")
def opinion_map(bench: Bench) -> None:
    require("forum", "forum_statement", "forum_reaction")
    from participation.forums import counts

    if not hasattr(counts, "opinion_map"):
        raise Skip("participation.forums.counts.opinion_map does not exist yet")
    people_n, statements_n = bench.settings.map_people, bench.settings.map_statements
    people = [uid for uid, _token in bench.people[:people_n]]
    if len(people) < people_n:
        raise Skip(f"only {len(people)} citizens for {people_n} participants")
    forum_id = max_id("forum") + 1
    bulk_insert("forum", [{"id": forum_id, "title": "벤치마크 공론장: 한강 공원", "background": "배경", "key_facts": "",
                           "links": "", "departments": "", "discussion_days": 30, "state": "open",
                           "opened_at": NOW - timedelta(days=3), "closes_at": NOW + timedelta(days=27),
                           "comment_count": 0, "participant_count": 0}])
    first_s = max_id("forum_statement") + 1
    bulk_insert("forum_statement", [{"id": first_s + k, "forum_id": forum_id, "text": f"의견 문장 {k + 1}",
                                     "state": "approved", "created_at": NOW} for k in range(statements_n)])
    rnd = random.Random(11)
    values = ("agree", "disagree", "pass")

    def reactions():
        for p, uid in enumerate(people):
            camp = p % 3  # three opinion groups, so that the clustering has something to find
            for k in range(statements_n):
                if rnd.random() < 0.2:
                    continue  # not everyone sees every statement
                lean = (k + camp) % 3
                value = values[lean] if rnd.random() < 0.7 else rnd.choice(values)
                yield {"statement_id": first_s + k, "user_id": uid, "value": value, "reacted_at": NOW}

    bulk_insert("forum_reaction", reactions())
    reset_sequences()
    figures = probe(bench, "from participation.forums import counts",
                    f"result = counts.opinion_map({forum_id})\n"
                    "extra = [result.get('participants'), len(result.get('groups', []))]")
    ok = figures["seconds"] < 10 and figures["peak_mb"] < 1024
    bench.add(Row(scenario=f"opinion map of {people_n:,} participants × {statements_n} statements",
                  figure=f"{figures['seconds']:.1f} s, {figures['peak_mb']:.0f} MB peak", target="< 10 s, < 1 GB",
                  met=ok, note=f"{figures['extra'][0]} participants mapped into {figures['extra'][1]} groups; "
                               f"{figures['cpu_seconds']:.1f} s of this process's CPU (a database server's work is "
                               "not in it; the wall time is, and waiting for the shared cores); the first recount: "
                               "reads every reaction from the database, "
                               "numbers the 5,000 newcomers, Pol.is's PCA + base clusters + groups + repness",
                  extra={"gap": f"{figures['seconds']:.1f} s, {figures['peak_mb']:.0f} MB"}))
