#!/usr/bin/env python3
"""Fits one peer model (implicit 0.7.2, LightFM 1.17 or a numpy EASE) on a
segue train.csv and writes its top-N lists for every test user as a recs file
(user_id,item_id,rank) that `segue eval --recs` measures with segue's ruler.

usage: peers.py MODEL TRAIN.csv TEST.csv OUT.recs.csv [--n 20] [--threads 2]
                [--factors 64] [--iterations 15] [--alpha 1.0] [--reg 0.01] ...
MODEL: als | bpr | itemknn | lightfm | lightfm-features | ease
lightfm-features needs --items ITEMS.csv (item_id + artist/name/album/genre/tags columns, the form
`segue export --format items` writes): warm items get an identity feature plus their content features, items
absent from train.csv (cold) only their content features; --candidates FILE (one item id per line) restricts the
ranking to those items, as the cold-items protocol does.
Prints one JSON line: {"model", "params", "fit_seconds", "recommend_seconds", "users"}.
Run it with the venv python that ../shared/peers/build.sh prints.
"""
import argparse
import json
import os
import time

import numpy as np
import pandas as pd
import scipy.sparse as sp


def load(train_path, test_path):
    train = pd.read_csv(train_path, dtype={"user_id": str, "item_id": str})
    test = pd.read_csv(test_path, dtype={"user_id": str, "item_id": str})
    users = pd.Index(train["user_id"].unique())
    items = pd.Index(train["item_id"].unique())
    rows = users.get_indexer(train["user_id"])
    cols = items.get_indexer(train["item_id"])
    weight = train["weight"].to_numpy(np.float32) if "weight" in train else np.ones(len(train), np.float32)
    counts = sp.csr_matrix((weight, (rows, cols)), shape=(len(users), len(items)), dtype=np.float32)
    counts.sum_duplicates()
    counts.data = np.maximum(counts.data, 0)  # skips (negative signal) are not positives for the peers
    counts.eliminate_zeros()
    test_users = users.get_indexer(pd.Index(test["user_id"].unique()))
    test_users = np.sort(test_users[test_users >= 0])
    return users, items, counts, test_users


def with_catalogue(a, users, items, counts, test_users):
    """Extends the item space with the items CSV (cold items have no interactions) and builds LightFM's
    item-feature matrix: identity for items seen in training, one-hot artist/album/genre, tags and name words."""
    if not a.items:
        raise SystemExit("lightfm-features needs --items ITEMS.csv")
    catalogue = pd.read_csv(a.items, dtype=str, keep_default_na=False)
    warm = len(items)
    extra = pd.Index(catalogue["item_id"]).difference(items)
    items = items.append(extra)
    counts = sp.csr_matrix((counts.data, counts.indices, counts.indptr), shape=(counts.shape[0], len(items)))
    binary = counts.copy()
    binary.data[:] = 1.0
    liked = binary[test_users]
    vocab = {}
    rows, cols, vals = [], [], []
    row_of = items.get_indexer(catalogue["item_id"])
    for column in ("artist", "album", "genre", "tags", "name"):
        if column not in catalogue:
            continue
        for r, text in zip(row_of, catalogue[column]):
            if not text:
                continue
            if column == "tags":  # "rock:38|pop" -> rock weight 38, pop weight 1 (segue's items format)
                weighted = {}
                for t in text.split("|"):
                    name, _, count = t.rpartition(":")
                    if name and count.isdigit():
                        weighted[name] = weighted.get(name, 0) + int(count)
                    else:
                        weighted[t] = weighted.get(t, 0) + 1
                top = max(weighted.values())
                tokens = {t: w / top for t, w in weighted.items()}
            else:
                tokens = {t: 1.0 for t in (text.lower().split() if column == "name" else [text])}
            for t, w in tokens.items():
                f = vocab.setdefault(column + "=" + t, len(vocab))
                rows.append(r)
                cols.append(f)
                vals.append(w)
    content = sp.csr_matrix((np.asarray(vals, np.float32), (rows, cols)), shape=(len(items), len(vocab)))
    ident = sp.vstack([sp.identity(warm, format="csr", dtype=np.float32),
                       sp.csr_matrix((len(items) - warm, warm), dtype=np.float32)])
    features = sp.hstack([ident, content], format="csr", dtype=np.float32)
    # LightFM's convention: each item's feature row sums to 1.
    norms = np.asarray(features.sum(axis=1)).ravel()
    norms[norms == 0] = 1
    features = sp.diags(1 / norms) @ features
    return users, items, counts, test_users, binary, liked, features.tocsr().astype(np.float32)


def top_n_dense(scores, liked, n):
    """Top-n per row of a dense score block, the user's training items excluded."""
    scores = scores.copy()
    for r in range(scores.shape[0]):
        scores[r, liked[r].indices] = -np.inf
    n = min(n, scores.shape[1])
    part = np.argpartition(-scores, n - 1, axis=1)[:, :n]
    order = np.take_along_axis(scores, part, axis=1).argsort(axis=1)[:, ::-1]
    return np.take_along_axis(part, order, axis=1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model", choices=["als", "bpr", "itemknn", "lightfm", "lightfm-features", "ease"])
    p.add_argument("train")
    p.add_argument("test")
    p.add_argument("out")
    p.add_argument("--n", type=int, default=20)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--factors", type=int, default=64)
    p.add_argument("--iterations", type=int, default=None)
    p.add_argument("--alpha", type=float, default=1.0)
    p.add_argument("--reg", type=float, default=0.01)
    p.add_argument("--k", type=int, default=100)
    p.add_argument("--lam", type=float, default=100.0)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--items", default=None)
    p.add_argument("--candidates", default=None)
    p.add_argument("--loss", default="warp")
    a = p.parse_args()

    users, items, counts, test_users = load(a.train, a.test)
    binary = counts.copy()
    binary.data[:] = 1.0
    params = {}
    liked = binary[test_users]

    if a.model in ("als", "bpr", "itemknn"):
        from implicit.cpu.als import AlternatingLeastSquares
        from implicit.cpu.bpr import BayesianPersonalizedRanking
        from implicit.nearest_neighbours import CosineRecommender

        if a.model == "als":
            it = a.iterations or 15
            params = {"factors": a.factors, "iterations": it, "alpha": a.alpha, "regularization": a.reg,
                      "confidence": "1 + alpha * log1p(w)"}
            model = AlternatingLeastSquares(factors=a.factors, iterations=it, alpha=a.alpha, regularization=a.reg,
                                            num_threads=a.threads, random_state=a.seed, calculate_training_loss=False)
            data = counts.copy()
            data.data = np.log1p(data.data)
        elif a.model == "bpr":
            it = a.iterations or 100
            params = {"factors": a.factors, "iterations": it}
            model = BayesianPersonalizedRanking(factors=a.factors, iterations=it, num_threads=a.threads,
                                                random_state=a.seed)
            data = binary
        else:
            params = {"K": a.k, "weighting": "binary cosine"}
            model = CosineRecommender(K=a.k, num_threads=a.threads)
            data = binary
        start = time.perf_counter()
        model.fit(data, show_progress=False)
        fit = time.perf_counter() - start
        start = time.perf_counter()
        ids, _ = model.recommend(test_users, data[test_users], N=a.n, filter_already_liked_items=True)
        rec = time.perf_counter() - start
    elif a.model == "lightfm":
        from lightfm import LightFM

        it = a.iterations or 30
        params = {"no_components": a.factors, "loss": "warp", "epochs": it}
        model = LightFM(no_components=a.factors, loss="warp", random_state=a.seed)
        start = time.perf_counter()
        model.fit(binary.tocoo(), epochs=it, num_threads=a.threads)
        fit = time.perf_counter() - start
        start = time.perf_counter()
        ub, ue = model.get_user_representations()
        ib, ie = model.get_item_representations()
        ids = np.vstack([
            top_n_dense(ue[test_users[s:s + 1024]] @ ie.T + ub[test_users[s:s + 1024], None] + ib[None, :],
                        liked[s:s + 1024], a.n) for s in range(0, len(test_users), 1024)])
        rec = time.perf_counter() - start
    elif a.model == "lightfm-features":
        from lightfm import LightFM

        users, items, counts, test_users, binary, liked, item_features = with_catalogue(a, users, items, counts, test_users)
        it = a.iterations or 30
        params = {"no_components": a.factors, "loss": a.loss, "epochs": it, "features": "identity (warm) + content"}
        model = LightFM(no_components=a.factors, loss=a.loss, random_state=a.seed)
        start = time.perf_counter()
        epoch_times = []
        for _ in range(it):
            t0 = time.perf_counter()
            model.fit_partial(binary.tocoo(), item_features=item_features, epochs=1, num_threads=a.threads)
            epoch_times.append(time.perf_counter() - t0)
        fit = time.perf_counter() - start
        params["seconds_per_epoch_min"] = round(min(epoch_times), 3)
        start = time.perf_counter()
        ub, ue = model.get_user_representations()
        ib, ie = model.get_item_representations(item_features)
        allowed = np.zeros(len(items), bool)
        if a.candidates:
            wanted = set(x.strip() for x in open(a.candidates) if x.strip())
            allowed[[i for i, name in enumerate(items) if name in wanted]] = True
        else:
            allowed[:] = True
        blocks = []
        for s in range(0, len(test_users), 1024):
            sc = ue[test_users[s:s + 1024]] @ ie.T + ub[test_users[s:s + 1024], None] + ib[None, :]
            sc[:, ~allowed] = -np.inf
            blocks.append(top_n_dense(sc, liked[s:s + 1024], min(a.n, int(allowed.sum()))))
        ids = np.vstack(blocks)
        rec = time.perf_counter() - start
    else:  # ease, dense float64 inverse as in Steck's reference code
        params = {"lambda": a.lam}
        start = time.perf_counter()
        x = binary
        g = (x.T @ x).toarray().astype(np.float64)
        g[np.diag_indices_from(g)] += a.lam
        pinv = np.linalg.inv(g)
        b = pinv / (-np.diag(pinv))
        b[np.diag_indices_from(b)] = 0.0
        fit = time.perf_counter() - start
        start = time.perf_counter()
        ids = np.vstack([top_n_dense(np.asarray(liked[s:s + 1024] @ b), liked[s:s + 1024], a.n)
                         for s in range(0, len(test_users), 1024)])
        rec = time.perf_counter() - start

    with open(a.out, "w") as f:
        f.write("user_id,item_id,rank\n")
        for r, u in enumerate(test_users):
            for rank, i in enumerate(ids[r]):
                if i >= 0:
                    f.write(f"{users[u]},{items[i]},{rank + 1}\n")
    print(json.dumps({"model": a.model, "params": params, "fit_seconds": round(fit, 3),
                      "recommend_seconds": round(rec, 3), "users": int(len(test_users)),
                      "items": int(len(items))}))


if __name__ == "__main__":
    main()
