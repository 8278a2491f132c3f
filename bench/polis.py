"""Our opinion groups against Pol.is's, on the conversations Pol.is published with the groups it showed.

    python -m bench.polis DIR          # or POLIS_OPEN_DATA=DIR python -m bench.polis

DIR holds Pol.is exports (any depth), e.g. a copy of github.com/compdemocracy/openData (CC BY 4.0, The
Computational Democracy Project). Every export whose participants-votes.csv carries a group for some
participants is compared, none left out; an export whose participants-votes.csv is byte for byte another's
(openData keeps scoop-hivemind.taxes twice) is counted once. For each: the adjusted Rand index between Pol.is's
groups and ours over the participants both place, and the numbers of groups. The method is
`participation.forums.opinion.opinion_groups`, exactly as a forum's recount runs it: no history (a fresh
computation), nothing set per conversation.

Stability (the margin of `opinion.choose_count`): each conversation is recounted `--resamples` times with a
random 2 % of its participants left out, with and without the previous recount's number of groups, and the
change of each k's silhouette is recorded.

Writes bench/results/polis.json and rebuilds bench/RESULTS.md (its "Pol.is" section)."""

import argparse
import hashlib
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

from bench.report import RESULTS_DIR, write_results
from participation.forums import opinion, polis

DROPPED = 0.02


def exports(root: Path) -> list[Path]:
    return sorted({path.parent for path in root.rglob("participants-votes.csv")
                   if (path.parent / "comments.csv").exists()})


def _cost(points: np.ndarray, labels: np.ndarray) -> float:
    """k-means' objective: the squared distances of the points to their group's centre, summed."""
    return float(sum(((points[labels == label] - points[labels == label].mean(axis=0)) ** 2).sum()
                     for label in set(labels.tolist())))


def compare(directory: Path, resamples: int) -> dict:
    conversation = polis.read_export(directory)
    theirs = np.array([-1 if group is None else group for group in conversation.group_ids])
    started = time.perf_counter()
    groups = opinion.opinion_groups(conversation.votes, conversation.moderated_out)
    seconds = time.perf_counter() - started
    ours = groups.labels
    both = (ours >= 0) & (theirs >= 0)
    row = {"conversation": directory.name, "participants": len(theirs),
           "statements": int((~conversation.moderated_out).sum()),
           "placed_ours": int((ours >= 0).sum()), "placed_polis": int((theirs >= 0).sum()), "compared": int(both.sum()),
           "ari": round(float(adjusted_rand_score(theirs[both], ours[both])), 3),
           "groups_ours": groups.count, "groups_polis": len(set(theirs[theirs >= 0].tolist())),
           "sizes_ours": np.bincount(ours[ours >= 0]).tolist(),
           "sizes_polis": np.bincount(theirs[theirs >= 0]).tolist() if (theirs >= 0).any() else [],
           "silhouettes": groups.silhouettes, "seconds": round(seconds, 2),
           "cost_ratio": round(_cost(groups.coordinates[both], ours[both])
                               / _cost(groups.coordinates[both], theirs[both]), 3)}
    rng = np.random.default_rng(0)
    changes, kept_fresh, kept_history = [], 0, 0
    for _ in range(resamples):
        keep = rng.random(len(theirs)) >= DROPPED
        fresh = opinion.opinion_groups(conversation.votes[keep], conversation.moderated_out)
        changes += [abs(fresh.silhouettes[k] - score) for k, score in groups.silhouettes.items()
                    if k in fresh.silhouettes]
        kept_fresh += fresh.count == groups.count
        kept_history += opinion.choose_count(fresh.silhouettes, groups.count) == groups.count \
            if fresh.silhouettes else fresh.count == groups.count
    row.update(resamples=resamples, silhouette_change_max=round(max(changes, default=0.0), 4),
               silhouette_change_p90=round(float(np.percentile(changes, 90)), 4) if changes else 0.0,
               k_kept_fresh=kept_fresh, k_kept_with_previous=kept_history)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.polis", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", nargs="?", default=os.environ.get("POLIS_OPEN_DATA"),
                        help="Pol.is exports (default: $POLIS_OPEN_DATA)")
    parser.add_argument("--resamples", type=int, default=5, help="recounts without 2 %% of the participants")
    parser.add_argument("--no-save", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args()
    if not args.directory:
        parser.error("give the directory of Pol.is exports (or set POLIS_OPEN_DATA)")
    root = Path(args.directory)
    rows, skipped, seen = [], [], {}
    started = time.perf_counter()
    for directory in exports(root):
        digest = hashlib.sha256((directory / "participants-votes.csv").read_bytes()).hexdigest()
        name = str(directory.relative_to(root))
        if digest in seen:
            skipped.append((name, f"the same participants-votes.csv as {seen[digest]}"))
            continue
        seen[digest] = name
        try:
            row = compare(directory, args.resamples)
        except polis.FormatError as error:
            skipped.append((name, str(error)))
            continue
        if not row["placed_polis"]:
            skipped.append((name, "no participant has a group-id"))
            continue
        row["conversation"] = name
        rows.append(row)
        print(f"{name:55} ARI {row['ari']:6.3f}  groups {row['groups_ours']} vs Pol.is {row['groups_polis']}  "
              f"({row['compared']} compared, {row['seconds']} s)", flush=True)
    aris = [row["ari"] for row in rows]
    result = {"command": "python -m bench.polis " + " ".join(sys.argv[1:]).replace(str(root), "DIR"),
              "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
              "elapsed_s": round(time.perf_counter() - started), "rows": rows, "skipped": skipped,
              "median_ari": round(float(np.median(aris)), 3) if aris else None,
              "groups_agree": sum(row["groups_ours"] == row["groups_polis"] for row in rows),
              "margin": opinion.STABILITY_MARGIN, "dropped": DROPPED}
    print(f"median ARI {result['median_ari']}; number of groups agrees on {result['groups_agree']} of {len(rows)}")
    for name, reason in skipped:
        print(f"skipped {name}: {reason}")
    if not args.no_save:
        RESULTS_DIR.mkdir(exist_ok=True)
        (RESULTS_DIR / "polis.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {write_results()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
