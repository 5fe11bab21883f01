#!/usr/bin/env python3
"""segue's `hybrid` and LightFM 1.17 side by side: seconds per epoch on the
same data, features, components and threads.

usage: bench/hybrid_vs_lightfm.py --train TRAIN.csv [--items ITEMS.csv | --lastfm DIR]
                                  [--epochs 5] [--factors 64] [--threads 2] [--loss warp]
                                  [--segue PATH/segue | --bench PATH/bench_hybrid]
                                  [--test TEST.csv [--cold]] [--skip-lightfm] [--json OUT.json]

Run it with the peers' python (bash /work/shared/peers/build.sh prints it;
/tmp/segue-peers/venv/bin/python once built).

Data: TRAIN.csv is user_id,item_id[,weight,...] (segue split's train.csv);
ITEMS.csv is item_id,tags with '|'-separated tags. --lastfm DIR makes that
file from Last.fm HetRec's user_taggedartists.dat + tags.dat: each artist's 5
most frequent tags among the 200 most used tags (written beside --json, or to
./lastfm_items.csv). Items are the train items, then the items only in
ITEMS.csv (cold: features only). Both models get the same features: one per
tag (weight 1) plus an identity feature for every item with training
interactions, rows normalised to sum 1 (LightFM Dataset's default), and the
binary interactions.

LightFM: LightFM(no_components, loss, learning_rate=0.05), one fit_partial
epoch at a time with num_threads, each timed. segue: `segue train --items`
when the CLI has it (s/epoch = (fit at N epochs - fit at 1 epoch) / (N - 1),
wall time of the whole command), else the
bench_hybrid program (the same model, fitted in-process, each epoch timed by
the progress callback). With --test, both also report a quick NDCG@10 on
TEST.csv (binary relevance, full ranking over all items, training items
excluded; a sanity check of the same fit, not segue eval's ruler; segue's only
through bench_hybrid); --cold ranks only the items without training
interactions (the cold-items protocol's candidates). Prints a markdown table.
"""
import argparse
import collections
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_lastfm_items(lastfm_dir, out_path, top_tags=200, per_artist=5):
    """Each artist's `per_artist` most frequent tags among the `top_tags` most used."""
    names = {}
    with open(os.path.join(lastfm_dir, "tags.dat"), encoding="latin-1") as f:
        next(f)
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2:
                names[parts[0]] = parts[1].replace("|", " ").replace(",", " ").replace('"', " ").strip()
    per = collections.defaultdict(collections.Counter)
    total = collections.Counter()
    with open(os.path.join(lastfm_dir, "user_taggedartists.dat"), encoding="latin-1") as f:
        next(f)
        for line in f:
            parts = line.split("\t")
            if len(parts) < 3:
                continue
            per[parts[1]][parts[2]] += 1
            total[parts[2]] += 1
    keep = {t for t, _ in total.most_common(top_tags)}
    rows = 0
    with open(out_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["item_id", "tags"])
        for artist in sorted(per, key=int):
            tags = [t for t, _ in sorted(per[artist].items(), key=lambda kv: (-kv[1], int(kv[0]))) if t in keep]
            tags = [names[t] for t in tags[:per_artist] if names.get(t)]
            if tags:
                w.writerow([artist, "|".join(tags)])
                rows += 1
    return rows


def load(train_path, items_path):
    users, items, pairs = {}, {}, set()
    with open(train_path, newline="") as f:
        r = csv.reader(f)
        next(r)
        for row in r:
            if not row:
                continue
            u = users.setdefault(row[0], len(users))
            i = items.setdefault(row[1], len(items))
            pairs.add((u, i))
    warm = len(items)
    tags_of = {}
    with open(items_path, newline="") as f:
        r = csv.reader(f)
        next(r)
        for row in r:
            if not row:
                continue
            i = items.setdefault(row[0], len(items))
            tags_of[i] = sorted({t for t in (row[1] if len(row) > 1 else "").split("|") if t})
    return users, items, warm, sorted(pairs), tags_of


def time_lightfm(users, items, warm, pairs, tags_of, a):
    import numpy as np
    import scipy.sparse as sp
    from lightfm import LightFM

    tag_ids = {}
    rows, cols, vals = [], [], []
    for i in range(len(items)):
        feats = [tag_ids.setdefault(t, len(tag_ids)) for t in tags_of.get(i, [])]
        rows += [i] * len(feats)
        cols += feats
    n_tags = len(tag_ids)
    # identity features for the items with interactions, after the tags
    rows += list(range(warm))
    cols += [n_tags + i for i in range(warm)]
    rows, cols = np.array(rows), np.array(cols)
    feats = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(items), n_tags + warm))
    sums = np.asarray(feats.sum(axis=1)).ravel()
    sums[sums == 0] = 1
    feats = sp.diags(1.0 / sums).dot(feats).tocsr().astype(np.float32)
    u = np.array([p[0] for p in pairs], dtype=np.int32)
    i = np.array([p[1] for p in pairs], dtype=np.int32)
    inter = sp.coo_matrix((np.ones(len(pairs), dtype=np.float32), (u, i)), shape=(len(users), len(items)))
    model = LightFM(no_components=a.factors, loss=a.loss, learning_rate=0.05, random_state=42)
    epochs = []
    for _ in range(a.epochs):
        start = time.perf_counter()
        model.fit_partial(inter, item_features=feats, epochs=1, num_threads=a.threads)
        epochs.append(time.perf_counter() - start)
    out = {"epochs_s": epochs, "epoch_median_s": statistics.median(epochs), "features": feats.shape[1],
           "feature_nnz": int(feats.nnz)}
    if a.test:
        relevant = collections.defaultdict(set)
        with open(a.test, newline="") as f:
            r = csv.reader(f)
            next(r)
            for row in r:
                if row and row[0] in users and row[1] in items:
                    relevant[users[row[0]]].add(items[row[1]])
        ib, ie = model.get_item_representations(feats)
        ub, ue = model.get_user_representations()
        seen = inter.tocsr()
        warm_mask = np.zeros(len(items), dtype=bool)
        warm_mask[np.unique(i)] = True
        total = 0.0
        for user, rel in relevant.items():
            scores = ue[user] @ ie.T + ib
            scores[seen.indices[seen.indptr[user]:seen.indptr[user + 1]]] = -np.inf
            if a.cold:
                scores[warm_mask] = -np.inf
            top = np.argsort(-scores, kind="stable")[:10]
            dcg = sum(1.0 / np.log2(r + 2) for r, it in enumerate(top) if it in rel)
            ideal = sum(1.0 / np.log2(r + 2) for r in range(min(10, len(rel))))
            total += dcg / ideal
        out["ndcg_at_10"] = total / max(1, len(relevant))
    return out


def cli_has_items(segue):
    try:
        out = subprocess.run([segue, "train", "--help"], capture_output=True, text=True).stdout
    except OSError:
        return False
    return "--items" in out


def time_segue_cli(segue, a):
    tmp = tempfile.mkdtemp(prefix="hybrid-bench-")
    try:
        walls = {}
        for n in (1, a.epochs):
            spec = f"hybrid:epochs={n},factors={a.factors},loss={a.loss}"
            start = time.perf_counter()
            subprocess.run([segue, "train", "--threads", str(a.threads), "--train", a.train, "--items", a.items,
                            "--model", spec + a.extra, "--out", os.path.join(tmp, "m")], check=True,
                           capture_output=True)
            walls[n] = time.perf_counter() - start
        per = (walls[a.epochs] - walls[1]) / max(1, a.epochs - 1)
        return {"how": "segue train --items (wall, (N - 1 epochs) / (N - 1))", "epoch_median_s": per,
                "walls_s": walls}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def time_segue_bench(bench, a):
    spec = f"hybrid:epochs={a.epochs},factors={a.factors},loss={a.loss}"
    extra = ([a.test] + (["cold"] if a.cold else [])) if a.test else []
    out = subprocess.run([bench, a.train, a.items, spec + a.extra, str(a.threads)] + extra, check=True, capture_output=True,
                         text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["how"] = "bench_hybrid (in-process fit, epochs timed by the progress callback)"
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", required=True)
    p.add_argument("--items")
    p.add_argument("--lastfm", help="make ITEMS.csv from this Last.fm HetRec directory")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--factors", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--loss", default="warp", choices=["warp", "bpr"])
    p.add_argument("--segue", default=os.path.join(ROOT, "build", "segue"))
    p.add_argument("--bench", help="bench_hybrid binary (used when given, or when segue train lacks --items)")
    p.add_argument("--test", help="TEST.csv for a quick NDCG@10 of both fits")
    p.add_argument("--cold", action="store_true", help="NDCG@10 over the items without training interactions only")
    p.add_argument("--extra", default="", help="more of segue's spec, e.g. ',negatives=warm'")
    p.add_argument("--skip-lightfm", action="store_true")
    p.add_argument("--json")
    a = p.parse_args()
    if not a.items:
        if not a.lastfm:
            p.error("give --items ITEMS.csv or --lastfm DIR")
        a.items = os.path.join(os.path.dirname(os.path.abspath(a.json)) if a.json else ".", "lastfm_items.csv")
        print(f"wrote {make_lastfm_items(a.lastfm, a.items)} artists' tags to {a.items}", file=sys.stderr)

    users, items, warm, pairs, tags_of = load(a.train, a.items)
    result = {"data": {"users": len(users), "items": len(items), "warm_items": warm, "positives": len(pairs),
                       "described_items": len(tags_of)},
              "factors": a.factors, "threads": a.threads, "epochs": a.epochs, "loss": a.loss}
    if not a.skip_lightfm:
        result["lightfm"] = time_lightfm(users, items, warm, pairs, tags_of, a)
    if a.bench or not cli_has_items(a.segue):
        bench = a.bench or os.path.join(os.path.dirname(a.segue), "bench_hybrid")
        result["segue"] = time_segue_bench(bench, a)
    else:
        result["segue"] = time_segue_cli(a.segue, a)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=2)
    d = result["data"]
    print(f"{d['users']} users x {d['items']} items ({d['warm_items']} with interactions), {d['positives']} "
          f"positives; {a.factors} components, {a.threads} threads, {a.loss}, {a.epochs} epochs")
    print("| model | s/epoch (median) | NDCG@10 | epochs (s) |")
    print("|---|---|---|---|")
    for name in ("lightfm", "segue"):
        if name in result:
            r = result[name]
            eps = ", ".join(f"{x:.3f}" for x in r.get("epochs_s", []))
            ndcg = r.get("ndcg_at_10")
            ndcg = f"{ndcg:.4f}" if ndcg is not None and ndcg >= 0 else ""
            print(f"| {name} | {r['epoch_median_s']:.3f} | {ndcg} | {eps} |")


if __name__ == "__main__":
    main()
