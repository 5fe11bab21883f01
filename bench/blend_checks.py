#!/usr/bin/python3
"""Could a simple combination beat the best single model? Checks on a validation split.

Reads `segue recommend --all --n 300` files (user_id,item_id,rank,score) of models fitted on SPLIT/train.csv and
scores NDCG@10 on SPLIT/test.csv as `segue eval` does (binary relevance; test items absent from train.csv are not
rankable and leave the ideal list). Three checks, none of which touches a test set:

  blend      per-listener z-scores of the first file plus weights (a grid) of the others, the weights chosen on
             one random half of the listeners and scored on the other half (both ways)
  average    the mean z-score of all the files (e.g. one model at several seeds)
  intensity  the first file's z plus w x the item's listening intensity: the mean, over its training listeners,
             of where its play count stands in each listener's own list (z of log plays), shrunk to 0 for few
             listeners

  python3 bench/blend_checks.py blend --split VAL ials.csv ease.csv rp3beta.csv
"""
import argparse
import itertools

import numpy as np
import pandas as pd

DISCOUNT = 1 / np.log2(np.arange(2, 12))


def read_ids(path):
    return pd.read_csv(path, dtype={"user_id": str, "item_id": str})


def load_truth(split):
    train = read_ids(f"{split}/train.csv")
    test = read_ids(f"{split}/test.csv")
    test = test[test.item_id.isin(set(train.item_id))]
    return train, test.groupby("user_id")["item_id"].apply(set).to_dict()


def read_z(path):
    recs = read_ids(path)
    by_user = recs.groupby("user_id")["score"]
    recs["z"] = (recs.score - by_user.transform("mean")) / (by_user.transform("std") + 1e-9)
    return recs.set_index(["user_id", "item_id"])["z"]


class Ruler:
    """NDCG@10 of a score column, per listener from arrays cut once (the grid search scores many columns)."""

    def __init__(self, table, truth):
        table = table[table.user_id.isin(truth.keys())].sort_values("user_id", kind="stable")
        self.table = table.reset_index(drop=True)
        users = self.table.user_id.to_numpy()
        cuts = np.flatnonzero(users[1:] != users[:-1]) + 1
        self.starts = np.r_[0, cuts]
        self.ends = np.r_[cuts, len(users)]
        self.users = users[self.starts]
        self.relevant = np.array([item in truth[user] for user, item in zip(users, self.table.item_id)], float)
        self.ideal = np.array([DISCOUNT[: min(10, len(truth[u]))].sum() for u in self.users])

    def column(self, name):
        return self.table[name].to_numpy()

    def ndcg(self, scores, users):
        total, count = 0.0, 0
        for start, end, user, ideal in zip(self.starts, self.ends, self.users, self.ideal):
            if user not in users:
                continue
            top = start + np.argsort(-scores[start:end], kind="stable")[:10]
            total += (self.relevant[top] * DISCOUNT[: len(top)]).sum() / ideal
            count += 1
        return total / max(count, 1)


def halves(truth):
    users = sorted(truth)
    order = np.random.default_rng(0).permutation(len(users))
    return {users[i] for i in order[: len(users) // 2]}, {users[i] for i in order[len(users) // 2:]}


def joined(files):
    table = pd.concat([read_z(f).rename(f"z{k}") for k, f in enumerate(files)], axis=1)
    # An item outside one model's top 300 ranks just below that model's last listed item.
    return table.fillna(table.min(axis=0) - 0.5).reset_index()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("check", choices=["blend", "average", "intensity"])
    parser.add_argument("--split", required=True, help="directory with train.csv and test.csv")
    parser.add_argument("--grid", default="0,0.25,0.5,1", help="blend: weights tried for each other model")
    parser.add_argument("recs", nargs="+")
    args = parser.parse_args()
    train, truth = load_truth(args.split)
    first, second = halves(truth)
    everyone = first | second

    if args.check == "average":
        ruler = Ruler(joined(args.recs), truth)
        mean = np.mean([ruler.column(f"z{k}") for k in range(len(args.recs))], axis=0)
        print(f"first alone {ruler.ndcg(ruler.column('z0'), everyone):.4f}  "
              f"mean of {len(args.recs)} {ruler.ndcg(mean, everyone):.4f}")
    elif args.check == "blend":
        ruler = Ruler(joined(args.recs), truth)
        z = [ruler.column(f"z{k}") for k in range(len(args.recs))]
        grid = [float(w) for w in args.grid.split(",")]
        mix = lambda weights: z[0] + sum(w * z[k + 1] for k, w in enumerate(weights))
        for tune, check, name in ((first, second, "half A -> B"), (second, first, "half B -> A")):
            best = max(itertools.product(grid, repeat=len(args.recs) - 1), key=lambda w: ruler.ndcg(mix(w), tune))
            print(f"{name}: weights {best} (tuned {ruler.ndcg(mix(best), tune):.4f}); on the other half "
                  f"{ruler.ndcg(mix(best), check):.4f} vs first alone {ruler.ndcg(z[0], check):.4f}")
    else:
        train["lw"] = np.log1p(train.weight)
        per_user = train.groupby("user_id")["lw"]
        train["standing"] = (train.lw - per_user.transform("mean")) / (per_user.transform("std") + 1e-9)
        items = train.groupby("item_id").agg(n=("standing", "size"), m=("standing", "mean"))
        items["intensity"] = items.m * items.n / (items.n + 5)
        table = read_z(args.recs[0]).rename("z0").reset_index().join(items[["intensity"]], on="item_id")
        ruler = Ruler(table, truth)
        z, intensity = ruler.column("z0"), ruler.column("intensity")
        for w in (0, 0.25, 0.5, 1, 2):
            print(f"w {w}: half A {ruler.ndcg(z + w * intensity, first):.4f}  half B {ruler.ndcg(z + w * intensity, second):.4f}")


if __name__ == "__main__":
    main()
