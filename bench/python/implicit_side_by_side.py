"""segue's implicit ALS (`ials`) beside implicit 0.7.2's AlternatingLeastSquares
in one Python process, on the Last.fm split (quickstart's import and split):
the same factors and iterations, 2 threads each; fit time, recommend-all time
and NDCG@10 from one numpy scorer (checked against segue.evaluate for segue).
implicit's settings are docs/BENCHMARKS.md's (alpha 1, reg 0.01 on log1p play
counts); segue's are its defaults. Usage (implicit from ../shared/peers/build.sh):
  OPENBLAS_NUM_THREADS=1 PYTHONPATH=build-py/python /tmp/segue-peers/venv/bin/python bench/python/implicit_side_by_side.py"""

import argparse
import tempfile
import time

import numpy as np

import segue

from common import header, lastfm_split


def ndcg_at(lists, train, test, users, k=10):
    """segue's ndcg@k (docs/METRICS.md): binary relevance of the test items the
    user did not have in train; users with >= 1 train item and >= 1 such item."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    values = []
    for row, u in enumerate(users):
        if train.indptr[u + 1] == train.indptr[u]:
            continue
        relevant = set(test[u].indices) - set(train[u].indices)
        if not relevant:
            continue
        gains = np.array([1.0 if i in relevant else 0.0 for i in lists[row][:k]])
        dcg = float((gains * discounts[:len(gains)]).sum())
        values.append(dcg / discounts[:min(len(relevant), k)].sum())
    return float(np.mean(values)), len(values)


def test_matrix(train, test):
    """The test events in train's id space (what segue's evaluator maps)."""
    import scipy.sparse

    frame = test.to_pandas()
    user_pos = {u: i for i, u in enumerate(train.user_ids)}
    item_pos = {it: i for i, it in enumerate(train.item_ids)}
    rows, cols = [], []
    for u, it in zip(frame.user_id, frame.item_id):
        if u in user_pos and it in item_pos:
            rows.append(user_pos[u])
            cols.append(item_pos[it])
    m = scipy.sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(train.n_users, train.n_items))
    m.sum_duplicates()
    m.data[:] = 1
    return m


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--factors", type=int, default=64)
    p.add_argument("--iterations", type=int, default=15)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    import implicit
    from implicit.cpu.als import AlternatingLeastSquares

    header(f"segue ials vs implicit {implicit.__version__} ALS, one process")
    with tempfile.TemporaryDirectory() as tmp:
        _, train, test = lastfm_split(tmp)
    counts = train.to_csr()[0]
    truth = test_matrix(train, test)
    users = np.arange(train.n_users, dtype=np.int32)
    print(f"# data: Last.fm train {train.n_users} users x {train.n_items} items, {counts.nnz} pairs; "
          f"{a.factors} factors, {a.iterations} iterations, {a.threads} threads, best of {a.repeats}")
    print("| library | model | fit s | recommend all s | NDCG@10 | users |")
    print("|---|---|---|---|---|---|")
    segue.set_threads(a.threads)
    spec = f"ials:factors={a.factors},iterations={a.iterations}"
    fit_s, rec_s = [], []
    for _ in range(a.repeats):
        model = segue.Model(spec)
        start = time.perf_counter()
        model.fit(counts)
        fit_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        ids, _ = model.recommend(users, counts, N=10)
        rec_s.append(time.perf_counter() - start)
    ndcg, n = ndcg_at(ids, counts, truth, users)
    # The same figure from segue's own evaluator (the model fitted on the Dataset has the same ids).
    table, _ = segue.evaluate([segue.Model(spec)], train, test, metrics=["ndcg@10"], bootstrap=0)
    print(f"| segue | {spec} | {min(fit_s):.3f} | {min(rec_s):.3f} | {ndcg:.4f} (segue.evaluate: "
          f"{table['ndcg@10'].iloc[0]:.4f}) | {n} |")
    log_counts = counts.copy()
    log_counts.data = np.log1p(log_counts.data)
    fit_s, rec_s = [], []
    for _ in range(a.repeats):
        model = AlternatingLeastSquares(factors=a.factors, iterations=a.iterations, alpha=1.0, regularization=0.01,
                                        num_threads=a.threads, random_state=42, calculate_training_loss=False)
        start = time.perf_counter()
        model.fit(log_counts, show_progress=False)
        fit_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        ids, _ = model.recommend(users, log_counts, N=10, filter_already_liked_items=True)
        rec_s.append(time.perf_counter() - start)
    ndcg, n = ndcg_at(ids, counts, truth, users)
    print(f"| implicit | AlternatingLeastSquares(factors={a.factors}, iterations={a.iterations}, alpha=1, "
          f"regularization=0.01), log1p counts | {min(fit_s):.3f} | {min(rec_s):.3f} | {ndcg:.4f} | {n} |")


if __name__ == "__main__":
    main()
