#!/usr/bin/env python3
"""Fits the metrical-level model of src/audio/rhythm_metre.cc: a conditional logit over each track's candidate
tempi (half, own, double of the prior's pick), on the features from `segue audio analyze --details`
(<id>.tempo.tsv) and all their pairwise products (i <= j, row-major: the order score_of() in rhythm_metre.cc uses).

  fit_metre.py --set DETAILS_DIR:LABELS_DIR[:PREFIX] ... [--l2 0.01] [--folds 5]

A candidate is right when it is within 4% of the labelled tempo (mir_eval's Accuracy1 tolerance); tracks with no
right candidate are left out of the fit (and counted). PREFIX is stripped from detail ids to find their labels
(e.g. dev_ for symlinked files). Prints accuracy of the current choice (the `chosen` column), of the fitted model
in sample and in song-grouped cross-validation, and the weights as the C++ array for rhythm_metre.cc.
Run only on a development carve: the benchmark reports other songs.
"""
import argparse, glob, os, re, sys
import numpy as np
from scipy.optimize import minimize


def expand(x):
    """Features then their pairwise products x_i * x_j, i <= j, in row-major order."""
    k = x.shape[1]
    return np.column_stack([x] + [x[:, i] * x[:, j] for i in range(k) for j in range(i, k)])


def load(sets):
    tracks = []  # (group, features [k x f], right [k], chosen index)
    names, skipped = None, 0
    for spec in sets:
        parts = spec.split(":")
        details, labels = parts[0], parts[1]
        prefix = parts[2] if len(parts) > 2 else ""
        for path in sorted(glob.glob(os.path.join(details, "*.tempo.tsv"))):
            tid = os.path.basename(path)[: -len(".tempo.tsv")]
            lid = tid[len(prefix):] if prefix and tid.startswith(prefix) else tid
            tempo_file = os.path.join(labels, lid + ".tempo")
            if not os.path.exists(tempo_file):
                continue
            truth = float(open(tempo_file).read().split()[0])
            with open(path) as f:
                header = f.readline().rstrip("\n").split("\t")
                rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
            if not rows:
                skipped += 1
                continue
            base = header[3:]
            names = base + [f"{base[i]}*{base[j]}" for i in range(len(base)) for j in range(i, len(base))]
            x = expand(np.array([[float(v) for v in r[3:]] for r in rows]))
            bpm = np.array([float(r[0]) for r in rows])
            chosen = int(np.argmax([int(r[1]) for r in rows]))
            right = np.abs(bpm - truth) <= 0.04 * truth
            group = prefix + re.sub(r"_s\d+_t[+-]\d+$", "", lid)
            tracks.append((group, x, right, chosen))
    return tracks, names, skipped


def fit(tracks, l2):
    usable = [t for t in tracks if t[2].any()]
    allx = np.vstack([t[1] for t in usable])
    mu, sd = allx.mean(0), allx.std(0)
    sd[sd == 0] = 1.0
    z = [((t[1] - mu) / sd, t[2]) for t in usable]

    def loss(w):
        total, grad = 0.0, np.zeros_like(w)
        for x, right in z:
            s = x @ w
            s -= s.max()
            p = np.exp(s) / np.exp(s).sum()
            q = right / right.sum()  # several right candidates share the target
            total -= float(q @ np.log(p + 1e-300))
            grad -= x.T @ (q - p)
        n = len(z)
        return total / n + l2 * w @ w, grad / n + 2 * l2 * w

    w = minimize(loss, np.zeros(allx.shape[1]), jac=True, method="L-BFGS-B").x
    return w / sd  # raw-feature weights; the offset is the same for every candidate of a track


def accuracy(tracks, pick):
    return float(np.mean([t[2][pick(t)] for t in tracks])) if tracks else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", action="append", required=True)
    ap.add_argument("--l2", type=float, default=0.003)
    ap.add_argument("--folds", type=int, default=5)
    a = ap.parse_args()
    tracks, names, skipped = load(a.set)
    if not tracks:
        sys.exit("fit_metre: no tracks with both details and labels")
    reachable = sum(t[2].any() for t in tracks)
    print(f"tracks {len(tracks)} (a right candidate in {reachable}; {skipped} without candidates)")
    print(f"current choice Acc1 {accuracy(tracks, lambda t: t[3]):.3f}; best possible {reachable / len(tracks):.3f}")
    w = fit(tracks, a.l2)
    print(f"fitted, in sample Acc1 {accuracy(tracks, lambda t: int(np.argmax(t[1] @ w))):.3f}")
    groups = sorted({t[0] for t in tracks})
    rng = np.random.default_rng(0)
    fold_of = dict(zip(groups, rng.permutation(len(groups)) % a.folds))
    hits = []
    for k in range(a.folds):
        train = [t for t in tracks if fold_of[t[0]] != k]
        wk = fit(train, a.l2)
        hits += [t[2][int(np.argmax(t[1] @ wk))] for t in tracks if fold_of[t[0]] == k]
    print(f"fitted, {a.folds}-fold song-grouped cross-validation Acc1 {np.mean(hits):.3f}")
    for n, v in zip(names, w):
        print(f"  {n:60s} {v:+.6g}")
    print("constexpr std::array<double, kMetreTerms> kWeights = {" + ", ".join(f"{v:.9g}" for v in w) + "};")


if __name__ == "__main__":
    main()
