#!/usr/bin/env python3
"""implicit 0.7.2's ALS on the same synthetic set as bench/scale/strong_scaling.sh (issue 16), for the
single-rank side by side: seconds per iteration with the same factors, CG steps and threads.

    PY=$(bash ../shared/peers/build.sh | tail -1)
    OPENBLAS_NUM_THREADS=1 $PY bench/scale/implicit_ials.py /tmp/synth/big/synthetic.csv --factors 64 \
        --iterations 3 --threads 2 --alpha 31.7393

alpha: segue's derived alpha for that data (its `fit stats` line) so both fit the same confidences
(1 + alpha * log1p(weight) in segue; implicit takes the confidence matrix as given, so it gets
alpha * log1p(weight) and adds the 1 itself).
"""
import argparse
import time

import numpy as np
import pandas as pd
import scipy.sparse


def main():
    p = argparse.ArgumentParser()
    p.add_argument("csv")
    p.add_argument("--factors", type=int, default=64)
    p.add_argument("--iterations", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--alpha", type=float, default=1.0)
    a = p.parse_args()
    from implicit.cpu.als import AlternatingLeastSquares  # noqa: E402

    t = time.time()
    df = pd.read_csv(a.csv, dtype={"user_id": str, "item_id": str, "weight": np.float32})
    users = pd.factorize(df["user_id"])[0]
    items = pd.factorize(df["item_id"])[0]
    conf = (a.alpha * np.log1p(df["weight"].to_numpy())).astype(np.float32)
    m = scipy.sparse.csr_matrix((conf, (users, items)), shape=(users.max() + 1, items.max() + 1))
    m.sum_duplicates()
    print(f"# load {time.time() - t:.1f} s: {m.shape[0]} x {m.shape[1]}, nnz {m.nnz}")
    model = AlternatingLeastSquares(factors=a.factors, iterations=a.iterations, regularization=0.01,
                                    use_cg=True, num_threads=a.threads, calculate_training_loss=False,
                                    random_state=42)
    model.cg_steps = 3  # implicit's default, set here so the comparison says it
    t = time.time()
    model.fit(m, show_progress=False)
    fit = time.time() - t
    print(f"implicit ALS factors {a.factors} cg_steps 3 threads {a.threads}: fit {fit:.2f} s, "
          f"{fit / a.iterations:.2f} s/iteration")


if __name__ == "__main__":
    main()
