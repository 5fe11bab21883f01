"""What one `recommend` call from Python costs over the same C++ call
(Recommender::recommend in a C++ loop, same process, same model), on the
Last.fm split. Usage: PYTHONPATH=build-py/python python3 bench/python/recommend_overhead.py"""

import argparse
import tempfile
import time

import numpy as np

import segue
from segue import _segue

from common import header, lastfm_split


def per_call(fn, users, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for u in users:
            fn(u)
        best = min(best, (time.perf_counter() - start) / len(users))
    return best


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--users", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()
    header("single recommend call: Python vs C++")
    with tempfile.TemporaryDirectory() as tmp:
        _, train, _ = lastfm_split(tmp)
    csr = train.to_csr()[0]
    users = np.random.RandomState(0).choice(train.n_users, size=min(a.users, train.n_users), replace=False).astype(np.int32)
    rows = [csr[int(u)] for u in users]
    print(f"# data: Last.fm train split, {train.n_users} users, {train.n_items} items; {len(users)} users, N=10, "
          f"best of {a.repeats}")
    print("| model | C++ µs/call | Python recommend(u) µs | overhead µs | Python recommend(u, row) µs | overhead µs |")
    print("|---|---|---|---|---|---|")
    for spec in ["ials:factors=64", "itemknn", "ease"]:
        model = segue.Model(spec).fit(train)
        cpp = min(_segue._time_recommend_one(model._m, users, 10, 1) for _ in range(a.repeats))
        py = per_call(lambda u: model.recommend(int(u), N=10), users, a.repeats)
        row_map = dict(zip(users.tolist(), rows))
        py_row = per_call(lambda u: model.recommend(int(u), row_map[int(u)], N=10), users, a.repeats)
        print(f"| {spec} | {cpp * 1e6:.1f} | {py * 1e6:.1f} | {(py - cpp) * 1e6:+.1f} | {py_row * 1e6:.1f} | "
              f"{(py_row - cpp) * 1e6:+.1f} |")


if __name__ == "__main__":
    main()
