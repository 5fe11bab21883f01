#!/usr/bin/env python3
"""Peak memory that `Model.fit(csr)` adds over the caller's CSR matrix (issue 15: "no copy of the data that is
not needed"). A float32 CSR with int64 indptr is read in place; other dtypes are converted once (that copy is
needed). The model keeps its own copy of the training positives (what `recommend` filters), so the floor is one
copy of indices + values; `pop` adds almost nothing else, so the figure is the data's own cost.

    PYTHONPATH=BUILD/python python3 bench/python/fit_memory.py [--users 50000 --items 100000 --per-user 400]

The peak is VmHWM after resetting it (/proc/self/clear_refs = 5) once the matrix is built, minus VmRSS then.
"""
import argparse
import sys

import numpy as np
import scipy.sparse

sys.path.insert(0, __import__("os").path.dirname(__file__))
from common import header  # noqa: E402


def status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


def random_csr(users, items, per_user, dtype, seed=1):
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(users, dtype=np.int64), per_user)
    cols = rng.integers(0, items, size=rows.size, dtype=np.int64)
    csr = scipy.sparse.csr_matrix((np.ones(rows.size, dtype), (rows, cols)), shape=(users, items))
    csr.sum_duplicates()
    csr.indptr = csr.indptr.astype(np.int64)
    return csr


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50000)
    parser.add_argument("--items", type=int, default=100000)
    parser.add_argument("--per-user", type=int, default=400)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--model", default="pop")
    args = parser.parse_args()
    header("peak memory of Model.fit(csr) over the input")
    import segue

    csr = random_csr(args.users, args.items, args.per_user, np.dtype(args.dtype))
    data_mb = (csr.indices.nbytes + csr.data.nbytes + csr.indptr.nbytes) / 2**20
    positives_mb = (csr.nnz * 8 + (args.users + 1) * 8) / 2**20  # int32 index + float32 value per entry
    model = segue.Model(args.model)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base = status_kb("VmRSS")
    model.fit(csr, threads=1)
    peak = status_kb("VmHWM")
    extra_mb = (peak - base) / 1024
    print(f"model {args.model}, {args.users} x {args.items}, nnz {csr.nnz}, data {args.dtype}: "
          f"input {data_mb:.0f} MiB, fit peak +{extra_mb:.0f} MiB "
          f"({extra_mb / positives_mb:.2f} x one copy of the positives, {positives_mb:.0f} MiB)")


if __name__ == "__main__":
    main()
