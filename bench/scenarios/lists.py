"""List pages over 100,000 petitions and 100,000 proposals: the first page, a deep page, a keyword search."""

from urllib.parse import quote

from bench.channels import RARE, make_petitions, make_proposals
from bench.context import Bench
from bench.data import analyze, count
from bench.harness import Row, Skip
from bench.scenarios import scenario

LISTS = (("petitions", "/api/v1/petitions", "/petitions", make_petitions, "petition"),
         ("proposals", "/api/v1/proposals", "/proposals", make_proposals, "proposal"))


@scenario("lists")
def lists(bench: Bench) -> None:
    rules = {rule.rule for rule in bench.leg.app.url_map.iter_rules()}
    n = bench.settings.listing_rows
    done = 0
    listed = [(name, api, page, make, table) for name, api, page, make, table in LISTS if api in rules]
    for _name, _api, _page, make, table in listed:  # all the data first, then the statistics of all of it
        have = count(table)
        if have < n:
            make(n - have)
        analyze(table, "user")
    for name, api, page, _make, _table in listed:
        deep = max(2, int(n * 0.8) // 20)
        cases = [("first page", f"{api}?page=1&per_page=20"), (f"deep page {deep}", f"{api}?page={deep}&per_page=20"),
                 (f"search q={RARE}", f"{api}?q={quote(RARE)}&per_page=20"),
                 ("first page (HTML)", page), (f"deep page {deep} (HTML)", f"{page}?page={deep}")]
        first_median = None
        for label, path in cases:
            # Four connections: with sixteen, slow list queries pile up on SQLite's single writer-reader file.
            figures = bench.measure([["GET", path, None, None]], concurrency=4, max_requests=2_000)
            bench.drain()
            row = bench.against_baseline(f"list {n:,} {name}: {label}", figures, 0.3)
            if label == "first page":
                first_median = figures["median_ms"]
            elif first_median and not label.endswith("(HTML)"):
                slower = figures["median_ms"] / first_median if first_median else 0
                row.note = f"median {slower:.1f}× the first page's (limit 10×)"
                if slower > 10:
                    row.met = False
                    row.extra["gap"] = f"median {figures['median_ms']} ms vs {first_median} ms on the first page"
        done += 1
    if not done:
        raise Skip("no list route yet")
    bench.add(Row(scenario="list pages: data", figure=f"{n:,} rows per channel", note="bulk-inserted"))
