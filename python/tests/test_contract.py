"""The contract later checks rely on: Model(spec).fit(csr) and
recommend(userids, csr[userids], N) -> (ids, scores) of shape (len, N), as implicit 0.7."""

import numpy as np
import pytest
import scipy.sparse

import segue


@pytest.mark.parametrize("spec", ["ials:factors=8,iterations=4", "itemknn:k=20", "ease", "bpr:factors=8,epochs=3", "pop"])
def test_fit_csr_and_batch_recommend_have_implicit_shapes(csr, spec):
    model = segue.Model(spec).fit(csr)
    userids = np.arange(0, 60, 3)
    ids, scores = model.recommend(userids, csr[userids], N=10)
    assert ids.shape == (len(userids), 10) and scores.shape == (len(userids), 10)
    assert isinstance(ids, np.ndarray) and ids.dtype == np.int32 and scores.dtype == np.float32
    for row, u in enumerate(userids):
        liked = set(csr[u].indices)
        assert not liked & set(ids[row]), "liked items must be filtered"
        assert np.all(np.diff(scores[row]) <= 0), "best first"


def test_single_user_matches_batch_row(csr):
    model = segue.Model("ials:factors=8,iterations=4").fit(csr)
    ids, scores = model.recommend(np.array([5, 9]), csr[[5, 9]], N=7)
    one_ids, one_scores = model.recommend(9, csr[9], N=7)
    assert one_ids.shape == (7,)
    np.testing.assert_array_equal(one_ids, ids[1])
    np.testing.assert_allclose(one_scores, scores[1], rtol=1e-6)
    # without user_items: the model's own training rows are filtered (the fast path)
    fast_ids, _ = model.recommend(9, N=7)
    np.testing.assert_array_equal(fast_ids, ids[1])


def test_user_items_rows_decide_what_is_filtered(csr):
    model = segue.Model("itemknn:k=20").fit(csr)
    empty = scipy.sparse.csr_matrix((1, csr.shape[1]), dtype=np.float32)
    ids, _ = model.recommend(np.array([4]), empty, N=csr.shape[1])
    assert set(csr[4].indices) <= set(ids[0]), "nothing filtered with an empty row"
    ids, _ = model.recommend(np.array([4]), csr[4], N=10, filter_already_liked_items=False)
    unfiltered, _ = model.recommend(4, N=10, filter_already_liked_items=False)
    np.testing.assert_array_equal(ids[0], unfiltered)


def test_items_restricts_ranking(csr):
    model = segue.Model("ials:factors=8,iterations=4").fit(csr)
    allowed = np.array([3, 17, 21, 30, 39])
    ids, scores = model.recommend(np.arange(10), csr[:10], N=3, items=allowed)
    assert ids.shape == (10, 3)
    assert set(ids[ids >= 0].ravel()) <= set(allowed)
    full = model.score_users(np.arange(10))
    for u in range(10):
        candidates = [i for i in allowed if i not in set(csr[u].indices)]
        best = sorted(candidates, key=lambda i: (-full[u, i], i))[:3]
        assert list(ids[u][ids[u] >= 0]) == best


def test_short_lists_are_padded(csr):
    model = segue.Model("pop").fit(csr)
    ids, scores = model.recommend(np.array([0, 1]), csr[[0, 1]], N=csr.shape[1])
    assert ids.shape == (2, csr.shape[1])
    for row, u in enumerate([0, 1]):
        n_liked = csr[u].nnz
        assert np.all(ids[row, -n_liked:] == -1) and np.all(np.isneginf(scores[row, -n_liked:]))


def test_float64_and_int_matrices_are_accepted(csr):
    a = segue.Model("itemknn:k=20").fit(csr)
    b = segue.Model("itemknn:k=20").fit(csr.astype(np.float64))
    c = segue.Model("itemknn:k=20").fit(csr.astype(np.int64))
    users = np.arange(20)
    for other in (b, c):
        np.testing.assert_array_equal(a.recommend(users, csr[users])[0], other.recommend(users, csr[users])[0])


def test_unsorted_and_duplicate_entries_are_canonicalised(csr):
    # Each row reversed, and its first entry split into two halves (a duplicate).
    indptr, indices, data = [0], [], []
    for u in range(csr.shape[0]):
        cols, vals = csr[u].indices[::-1].tolist(), csr[u].data[::-1].tolist()
        cols.append(cols[0])
        vals[0] /= 2
        vals.append(vals[0])
        indices += cols
        data += vals
        indptr.append(len(indices))
    messy = scipy.sparse.csr_matrix((np.array(data, np.float32), np.array(indices), np.array(indptr)),
                                    shape=csr.shape)
    assert not messy.has_canonical_format
    a = segue.Model("ease").fit(csr)
    b = segue.Model("ease").fit(messy)
    users = np.arange(30)
    np.testing.assert_array_equal(a.recommend(users, csr[users])[0], b.recommend(users, csr[users])[0])


def test_filter_items_are_never_recommended(csr):
    model = segue.Model("ials:factors=8,iterations=4").fit(csr)
    users = np.arange(20)
    plain, _ = model.recommend(users, csr[users], N=5)
    banned = np.unique(plain[:, 0])
    ids, _ = model.recommend(users, csr[users], N=5, filter_items=banned)
    assert not set(ids.ravel()) & set(banned)
    for row, u in enumerate(users):
        assert not set(ids[row]) & set(csr[u].indices)
    one, _ = model.recommend(3, N=5, filter_items=banned)  # with the training rows
    np.testing.assert_array_equal(one, ids[3])
    kept, _ = model.recommend(3, N=5, filter_items=banned, filter_already_liked_items=False)
    assert not set(kept) & set(banned)
