#!/usr/bin/env python3
"""Linear probes: how much key and tempo a per-track embedding holds (issue 14, CNN audio embeddings).

  probe.py --labels WORK/labels --features NAME=CSV[:COLUMN_PREFIX] [--features ...] [--folds 5] [--seed 0]

For each feature set (a CSV with item_id and numeric columns; with :PREFIX only the columns starting with it,
e.g. `mfcc=segue.csv:mfcc_` for the MFCC statistics of `segue audio analyze`), standardised inside each fold,
a multinomial logistic regression (scikit-learn, L2, C=1) predicts
  key   the 24 major/minor keys of the files with one key label (WORK/labels/<id>.key)
  tempo the labelled tempo's log2-spaced bin (6 bins over 50-220 BPM; WORK/labels/<id>.tempo)
scored by stratified k-fold cross-validation over files (accuracy with a Wilson 95% interval, and the majority-class
rate as chance). Files of the same POP909 song (pNNN and its variants pNNN_s.._t..) stay in one fold (GroupKFold),
so a song is never probed with itself in training.
"""
import argparse, csv, math, os, re, sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.preprocessing import StandardScaler

KEYS = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
FLATS = {"Db": "C#", "Eb": "D#", "Gb": "F#", "Ab": "G#", "Bb": "A#", "Cb": "B", "Fb": "E", "E#": "F", "B#": "C"}


def key_class(text):
    tonic, mode = text.split()
    tonic = FLATS.get(tonic, tonic)
    return KEYS.index(tonic) + (0 if mode.startswith("maj") else 12)


def wilson(k, n):
    if n == 0:
        return 0.0, 0.0
    z, p = 1.96, k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return c - h, c + h


def read_features(spec):
    name, _, rest = spec.partition("=")
    path, _, prefix = rest.partition(":")
    rows = {}
    with open(path) as f:
        r = csv.DictReader(f)
        cols = [c for c in r.fieldnames if c != "item_id" and c.startswith(prefix)]
        for row in r:
            try:
                rows[row["item_id"]] = [float(row[c]) for c in cols]
            except ValueError:
                continue  # a non-numeric column selected: the prefix should exclude it
    return name, rows, len(cols)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--features", action="append", required=True)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    keys, tempi = {}, {}
    for fn in os.listdir(a.labels):
        path = os.path.join(a.labels, fn)
        if fn.endswith(".key"):
            keys[fn[:-4]] = key_class(open(path).read().strip())
        elif fn.endswith(".tempo"):
            tempi[fn[:-6]] = float(open(path).read().split()[0])
    edges = np.geomspace(50, 220, 7)
    print("| features | dims | target | files | classes | accuracy [95% CI] | chance (majority) |")
    print("|---|---|---|---|---|---|---|")
    for spec in a.features:
        name, rows, dims = read_features(spec)
        for target, labels in (("key (24)", keys), ("tempo bin (6)", {k: int(np.digitize(v, edges[1:-1])) for k, v in tempi.items()})):
            ids = sorted(i for i in labels if i in rows)
            if len(ids) < a.folds * 2:
                print(f"| {name} | {dims} | {target} | {len(ids)} | — | too few files | — |")
                continue
            X = np.array([rows[i] for i in ids])
            y = np.array([labels[i] for i in ids])
            groups = np.array([re.sub(r"_s\d+_t[+-]\d+$", "", i) for i in ids])
            predicted = np.empty_like(y)
            folds = StratifiedGroupKFold(n_splits=a.folds, shuffle=True, random_state=a.seed)
            for train, test in folds.split(X, y, groups):
                scaler = StandardScaler().fit(X[train])
                model = LogisticRegression(C=1.0, max_iter=2000).fit(scaler.transform(X[train]), y[train])
                predicted[test] = model.predict(scaler.transform(X[test]))
            hits = int((predicted == y).sum())
            lo, hi = wilson(hits, len(y))
            chance = np.bincount(y).max() / len(y)
            print(f"| {name} | {dims} | {target} | {len(y)} | {len(set(y))} | {hits / len(y):.3f} [{lo:.3f}, {hi:.3f}] | {chance:.3f} |")


if __name__ == "__main__":
    sys.exit(main())
