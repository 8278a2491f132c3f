"""Opinion groups (여론 지도) from a participant × statement matrix of reactions, as Pol.is computes them.

Pure functions over numpy arrays, no database: `forums/counts.py` reads a forum's reactions into the matrix
and stores what `opinion_map()` returns; `bench/polis.py` runs the same function over the conversations
Pol.is published with the groups it showed, and compares.

The method is Pol.is's, read in its math module (github.com/compdemocracy/polis, `math/src/polismath/math/`:
`conversation.clj`, `pca.clj`, `clusters.clj`, `repness.clj`, `stats.clj`) and described in C. Small et al.,
"Polis: Scaling Deliberation by Mapping High Dimensional Opinion Spaces", Recerca 26(2), 2021:

1. **The matrix.** A row per participant, a column per statement: agree 1, disagree −1, pass 0, and a
   statement the participant never saw is *missing* (NaN), not a pass (`conversation.clj`, `:rating-mat`).
   A statement moderated out after people reacted to it stays as a column of passes for everyone
   (`named_matrix.clj`, `zero-out-columns`), so that moderation does not move anyone on the map.
2. **PCA with missing values.** Each missing cell is imputed with its column's mean over those who saw the
   statement, the matrix is centred on the column means, and the first two principal components are taken
   (`conversation.clj` `:mat`, `pca.clj` `powerit-pca`: power iteration, here the SVD it converges to).
   Everyone who reacted at least once takes part in the PCA.
3. **Sparsity-aware projection.** A participant's position is the projection of *their own* reactions only
   (missing cells contribute nothing), scaled by √(statements / statements they saw), which pushes people
   who saw few statements out from the centre to where their full answers would put them
   (`pca.clj`, `sparsity-aware-project-ptpt`).
4. **Who is placed.** Participants who reacted to at least `min(7, statements)` statements
   (`conversation.clj`, `:in-conv`).
5. **Base clusters, then groups.** The placed participants are first grouped into up to 100 small base
   clusters by k-means; the base clusters' centres, weighted by their sizes, are then grouped by k-means
   into k = 2 … min(5, 2 + base clusters / 12) opinion groups (`conversation.clj`, `:base-clusters`,
   `:group-clusterings`, `max-k-fn`), and k is chosen by the silhouette of that clustering over the base
   clusters (`clusters.clj`, `silhouette`, unweighted as there).
6. **Stability.** Pol.is only changes k after the new best k has won four updates in a row
   (`:group-k-smoother`). Here: a larger k is taken only if its silhouette beats every smaller k by more than
   `STABILITY_MARGIN`, and the k of the previous recount is kept while it stays within that margin of the
   best. The margin is about the 90th percentile of how far a k's silhouette moves when 2 % of the
   participants of a published conversation are left out (bench/RESULTS.md): started from the previous k,
   such recounts kept the number of groups every time.
   k-means runs from k-means++ seeds (`SEED`) with several starts, on rows in a fixed order (the
   participants' numbers), so the same input gives the same groups; groups are numbered by size, largest
   first (ties: the group of the earliest participant first).
7. **What sets groups apart** (`repness.clj`). For a group and a statement: nₐ agrees, n_d disagrees and n
   reactions in the group; pₐ = (nₐ + 1)/(n + 2); the one-proportion z-test of pₐ against ½
   (`stats.clj`, `prop-test`); the representativeness rₐ = pₐ / the same rate among everyone else, with the
   two-proportion z-test between the group and the rest (`two-prop-test`); the same for disagreeing.
   A statement is representative when both tests pass at 90 % (z > 1.2816) for agree or for disagree, and,
   unlike Pol.is (which always shows a group's best statement), only when at least
   `REPRESENTATIVE_MIN_VOTES` of the group reacted to it: a statement with too few votes is never shown.
   They are ranked by rₐ · z(rₐ) · pₐ · z(pₐ) (`repness-metric`), at most five, agreements first.
8. **Group-informed consensus** (`conversation.clj`, `:group-aware-consensus`): the product over groups
   of each group's pₐ, so that a statement counts as shared only if every group, however small, agrees.
   Shown: statements that more than half of every group agrees with (or disagrees with), by that product.
9. **Divisive statements:** those on which some group leans to agree and another to disagree, ranked by
   the spread between the groups' net support (pₐ − p_d), halved to lie in 0 … 1.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

AGREE, DISAGREE, PASS = 1.0, -1.0, 0.0
MIN_VOTES = 7  # reactions before a participant is placed on the map (Pol.is)
MIN_PARTICIPANTS = 4  # placed participants before there are groups at all
BASE_CLUSTERS = 100  # Pol.is's base-k
MAX_GROUPS = 5  # Pol.is's max-k
BASE_CLUSTERS_PER_GROUP = 12  # Pol.is's max-k-fn: at most 2 + base clusters / 12 groups
STABILITY_MARGIN = 0.03  # silhouette by which a larger or a new k must win (see the docstring, 6)
SEED = 0
BASE_STARTS = 10  # k-means starts for the base clusters
GROUP_STARTS = 50  # and for the groups (on at most 100 points: cheap)
Z_90 = 1.2816  # one-sided 90 % (Pol.is's z-sig-90?)
REPRESENTATIVE_MAX = 5
REPRESENTATIVE_MIN_VOTES = 5  # reactions in a group before a statement may speak for it
CONSENSUS_MAX = 5
DIVISIVE_MAX = 5
DIGITS = 3


@dataclass(frozen=True)
class Groups:
    """The groups of one matrix: `labels[row]` is the row's group (0 = the largest), −1 if not in a group."""

    labels: np.ndarray
    coordinates: np.ndarray  # (rows, 2): every row's position, placed or not
    silhouettes: dict[int, float]  # k → silhouette over the base clusters
    placed: np.ndarray  # rows with enough reactions to be on the map (in a group once there are groups)

    @property
    def count(self) -> int:
        return int(self.labels.max()) + 1 if self.labels.size and self.labels.max() >= 0 else 0


def opinion_groups(votes: np.ndarray, moderated_out: np.ndarray | None = None,
                   previous_count: int | None = None) -> Groups:
    """Steps 1–6 of the module docstring. `votes`: rows × statements, 1 / −1 / 0 and NaN where not seen;
    `moderated_out`: a flag per column; `previous_count`: the number of groups the last recount showed."""
    votes = np.asarray(votes, dtype=float)
    rows, columns = votes.shape
    moderated_out = np.zeros(columns, dtype=bool) if moderated_out is None else np.asarray(moderated_out, bool)
    reacted = (~np.isnan(votes)).sum(axis=1)
    placed = reacted >= min(MIN_VOTES, columns) if columns else np.zeros(rows, dtype=bool)
    matrix = votes.copy()
    matrix[:, moderated_out] = PASS
    labels = np.full(rows, -1)
    # One thread: on small, shared machines BLAS and scikit-learn thread pools oversubscribe the CPU and run
    # many times slower.
    with threadpool_limits(1):
        coordinates = _project(matrix[:, ~np.isnan(matrix).all(axis=0)])
        if placed.sum() < MIN_PARTICIPANTS or columns < 2:
            return Groups(labels, coordinates, {}, placed)
        base_of, centres, sizes = _base_clusters(coordinates[placed])
        group_of_base, silhouettes = _group_base_clusters(centres, sizes, previous_count)
    labels[placed] = _numbered(group_of_base[base_of])
    return Groups(labels, coordinates, silhouettes, placed)


def _project(matrix: np.ndarray) -> np.ndarray:
    """Steps 1–3: each row's sparsity-aware projection on the first two principal components."""
    rows, columns = matrix.shape
    if rows == 0 or columns == 0:
        return np.zeros((rows, 2))
    seen = ~np.isnan(matrix)
    means = np.where(seen, matrix, 0.0).sum(axis=0) / seen.sum(axis=0)
    centred = np.where(seen, matrix - means, 0.0)  # imputing the column mean, then centring, leaves 0 there
    components = _principal_components(centred)
    for component in components:  # an SVD's signs are arbitrary: fix them, so that the map does not flip
        if component[np.argmax(np.abs(component))] < 0:
            component *= -1
    scale = np.sqrt(columns / np.maximum(seen.sum(axis=1), 1))
    return centred @ components.T * scale[:, None]


def _principal_components(centred: np.ndarray) -> np.ndarray:
    """The first two principal axes (2 × columns) of a centred matrix, from the eigenvectors of its smaller Gram
    matrix (statements × statements, or participants × participants when there are fewer of them)."""
    rows, columns = centred.shape
    components = np.zeros((2, columns))
    if columns <= rows:
        values, vectors = np.linalg.eigh(centred.T @ centred)
        axes = vectors[:, ::-1][:, :2].T
    else:
        values, vectors = np.linalg.eigh(centred @ centred.T)
        axes = (centred.T @ vectors[:, ::-1][:, :2]).T
        axes /= np.maximum(np.linalg.norm(axes, axis=1, keepdims=True), 1e-300)
    strong = values[::-1][:2] > 1e-9 * max(float(values[-1]), 1e-300)
    components[:len(axes)] = axes * strong[:len(axes), None]
    return components


def _base_clusters(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 5, first half: (base cluster of each point, centres, sizes)."""
    distinct = len(np.unique(points.round(9), axis=0))
    count = min(BASE_CLUSTERS, distinct)
    if count < 2:
        return np.zeros(len(points), dtype=int), points[:1].copy(), np.array([len(points)])
    model = KMeans(n_clusters=count, n_init=BASE_STARTS, random_state=SEED).fit(points)
    sizes = np.bincount(model.labels_, minlength=count)
    used = sizes > 0
    return (np.cumsum(used) - 1)[model.labels_], model.cluster_centers_[used], sizes[used]


def _group_base_clusters(centres: np.ndarray, sizes: np.ndarray,
                         previous_count: int | None) -> tuple[np.ndarray, dict[int, float]]:
    """Step 5, second half, and step 6: (group of each base cluster, silhouette of each k tried)."""
    largest = min(MAX_GROUPS, 2 + len(centres) // BASE_CLUSTERS_PER_GROUP, len(centres))
    clusterings, silhouettes = {}, {}
    for k in range(2, largest + 1):
        labels = KMeans(n_clusters=k, n_init=GROUP_STARTS, random_state=SEED).fit(
            centres, sample_weight=sizes).labels_
        if len(set(labels.tolist())) == k:
            clusterings[k] = labels
            # Every base cluster its own group: each is alone in its group, which Pol.is scores 0.
            silhouettes[k] = 0.0 if k == len(centres) else round(float(silhouette_score(centres, labels)), 4)
    if not clusterings:
        return np.zeros(len(centres), dtype=int), silhouettes
    return clusterings[choose_count(silhouettes, previous_count)], silhouettes


def choose_count(silhouettes: dict[int, float], previous_count: int | None = None) -> int:
    """Step 6: the previous k while it stays within the margin of the best silhouette, else the smallest k
    within the margin of the best."""
    best = max(silhouettes.values())
    close = sorted(k for k, score in silhouettes.items() if score >= best - STABILITY_MARGIN)
    return previous_count if previous_count in close else close[0]


def _numbered(labels: np.ndarray) -> np.ndarray:
    """Groups renumbered by size (largest first), ties by their earliest row: the same input, the same numbers."""
    found = sorted(set(labels.tolist()), key=lambda label: (-int((labels == label).sum()),
                                                            int(np.argmax(labels == label))))
    order = {label: number for number, label in enumerate(found)}
    return np.array([order[label] for label in labels.tolist()], dtype=int)


# --------------------------------------------------------------------------------------- what groups stand for
def _prop_test(successes: np.ndarray, trials: np.ndarray) -> np.ndarray:
    """Pol.is's one-proportion z-test against ½, with its +1 on both counts (`stats.clj`, `prop-test`)."""
    successes, trials = successes + 1.0, trials + 1.0
    return 2 * np.sqrt(trials) * (successes / trials - 0.5)


def _two_prop_test(successes_in, successes_out, trials_in, trials_out) -> np.ndarray:
    """Pol.is's two-proportion z-test, group against the rest, +1 on every count (`two-prop-test`)."""
    successes_in, successes_out = successes_in + 1.0, successes_out + 1.0
    trials_in, trials_out = trials_in + 1.0, trials_out + 1.0
    pooled = (successes_in + successes_out) / (trials_in + trials_out)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / trials_in + 1 / trials_out))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (successes_in / trials_in - successes_out / trials_out) / spread
    return np.where(pooled >= 1, 0.0, z)


def _counts(votes: np.ndarray, members: np.ndarray) -> np.ndarray:
    """(agrees, disagrees, passes) per statement among `members` rows: shape (3, statements)."""
    rows = votes[members]
    return np.stack([(rows == AGREE).sum(axis=0), (rows == DISAGREE).sum(axis=0), (rows == PASS).sum(axis=0)])


def describe(votes: np.ndarray, groups: Groups, statement_ids: list, moderated_out: np.ndarray | None = None
             ) -> dict:
    """Steps 7–9 and the statement × group table, as JSON-ready data (shares rounded, ids as given)."""
    votes = np.asarray(votes, dtype=float)
    shown = np.ones(votes.shape[1], dtype=bool) if moderated_out is None else ~np.asarray(moderated_out, bool)
    count = groups.count
    everyone = _counts(votes, np.ones(len(votes), dtype=bool))
    per_group = np.stack([_counts(votes, groups.labels == group) for group in range(count)]) if count else \
        np.zeros((0, 3, votes.shape[1]), dtype=int)
    seen = per_group.sum(axis=1)  # (groups, statements)
    agree_p = (per_group[:, 0] + 1) / (seen + 2)
    disagree_p = (per_group[:, 1] + 1) / (seen + 2)
    enough = seen >= REPRESENTATIVE_MIN_VOTES
    consensus = np.prod(agree_p, axis=0) if count else np.zeros(votes.shape[1])
    net = agree_p - disagree_p
    spread = (net.max(axis=0) - net.min(axis=0)) / 2 if count else np.zeros(votes.shape[1])

    def share(hits, total):
        return round(float(hits) / float(total), DIGITS) if total else 0.0

    described_groups = []
    for group in range(count):
        described_groups.append({"number": group + 1, "size": int((groups.labels == group).sum()),
                                 "distinctive": _representative(per_group, group, shown, statement_ids)})
    agreed, rejected = [], []
    for column in np.flatnonzero(shown & enough.all(axis=0)) if count else []:
        for chosen, probability, reaction in ((agreed, agree_p, 0), (rejected, disagree_p, 1)):
            if (probability[:, column] > 0.5).all():
                score = float(np.prod(probability[:, column]))
                chosen.append({"statement_id": statement_ids[column], "reaction": ("agree", "disagree")[reaction],
                               "score": round(score, DIGITS),
                               "rates": [share(per_group[g, reaction, column], seen[g, column]) for g in range(count)]})
    divisive = []
    if count > 1:
        for column in np.flatnonzero(shown & enough.all(axis=0)):
            if net[:, column].max() > 0 > net[:, column].min():
                divisive.append({"statement_id": statement_ids[column], "spread": round(float(spread[column]), DIGITS),
                                 "rates": [share(per_group[g, 0, column], seen[g, column]) for g in range(count)],
                                 "disagree_rates": [share(per_group[g, 1, column], seen[g, column])
                                                    for g in range(count)]})

    def ranked(items, key):
        return sorted(items, key=lambda item: (-item[key], str(item["statement_id"])))

    table = [{"statement_id": statement_ids[column], "total": everyone[:, column].tolist(),
              "groups": [per_group[g, :, column].tolist() for g in range(count)],
              "consensus": round(float(consensus[column]), DIGITS), "spread": round(float(spread[column]), DIGITS)}
             for column in np.flatnonzero(shown)]
    return {"groups": described_groups, "consensus": ranked(agreed, "score")[:CONSENSUS_MAX],
            "consensus_disagree": ranked(rejected, "score")[:CONSENSUS_MAX],
            "divisive": ranked(divisive, "spread")[:DIVISIVE_MAX], "table": table}


def _representative(per_group: np.ndarray, group: int, shown: np.ndarray, statement_ids: list) -> list[dict]:
    """Step 7 for one group: its representative statements, best first, agreements before disagreements."""
    inside = per_group[group].astype(float)
    rest = per_group.sum(axis=0) - per_group[group] if len(per_group) > 1 else np.zeros_like(per_group[group])
    trials_in, trials_out = inside.sum(axis=0), rest.sum(axis=0).astype(float)
    candidates = []
    for reaction, row in (("agree", 0), ("disagree", 1)):
        probability = (inside[row] + 1) / (trials_in + 2)
        probability_test = _prop_test(inside[row], trials_in)
        repness = probability / ((rest[row] + 1) / (trials_out + 2))
        repness_test = _two_prop_test(inside[row], rest[row], trials_in, trials_out)
        candidates.append((reaction, row, probability, probability_test, repness, repness_test))
    (_, _, _, _, _, agree_test), (_, _, _, _, _, disagree_test) = candidates
    chosen = []
    for column in np.flatnonzero(shown & (trials_in >= REPRESENTATIVE_MIN_VOTES)):
        # Agree or disagree: whichever the group stands apart on more (Pol.is's finalize-cmt-stats).
        reaction, row, probability, probability_test, repness, repness_test = \
            candidates[0 if agree_test[column] > disagree_test[column] else 1]
        if repness_test[column] > Z_90 and probability_test[column] > Z_90:
            chosen.append({
                "statement_id": statement_ids[column], "reaction": reaction,
                "rate": round(float(inside[row, column] / trials_in[column]), DIGITS),
                "others_rate": round(float(rest[row, column] / trials_out[column]), DIGITS) if trials_out[column]
                else 0.0,
                "votes": int(trials_in[column]), "repness": round(float(repness[column]), DIGITS),
                "z": round(float(repness_test[column]), DIGITS),
                "metric": float(repness[column] * repness_test[column] * probability[column]
                                * probability_test[column])})
    chosen.sort(key=lambda item: (-item["metric"], str(item["statement_id"])))
    best = chosen[:REPRESENTATIVE_MAX]
    for item in best:
        item["metric"] = round(item["metric"], DIGITS)
    return [item for item in best if item["reaction"] == "agree"] + \
        [item for item in best if item["reaction"] == "disagree"]


def opinion_map(votes: np.ndarray, statement_ids: list, moderated_out: np.ndarray | None = None,
                previous_count: int | None = None) -> tuple[dict, Groups]:
    """Everything shown about a forum's opinions, as JSON-ready data, with the groups it came from.

    The data names no one: `points` are sorted by group and position, not by participant."""
    votes = np.asarray(votes, dtype=float)
    groups = opinion_groups(votes, moderated_out, previous_count)
    placed = groups.labels >= 0
    points = sorted((int(group) + 1, round(float(x), DIGITS), round(float(y), DIGITS))
                    for (x, y), group in zip(groups.coordinates[placed], groups.labels[placed], strict=True))
    shown = len(statement_ids) - (0 if moderated_out is None else int(np.asarray(moderated_out, bool).sum()))
    result = {"participants": int(groups.placed.sum()), "voters": int((~np.isnan(votes)).any(axis=1).sum()),
              "statements": shown, "silhouettes": {str(k): score for k, score in groups.silhouettes.items()},
              "points": [[x, y, group] for group, x, y in points]}
    result.update(describe(votes, groups, statement_ids, moderated_out))
    return result, groups
