"""Typed shortcuts generated from the registry; save/load; explain, similar
items, factors; progress; the GIL released while fitting."""

import inspect
import threading
import time

import numpy as np
import pytest

import segue
from segue import _segue


def test_every_registered_model_has_a_class():
    for info in _segue.model_infos():
        cls = getattr(segue.models, info["name"])
        assert issubclass(cls, segue.Model)
        params = inspect.signature(cls.__init__).parameters
        assert [p for p in params if p != "self"] == [segue.models.python_name(p["name"]) for p in info["params"]]
        for p in info["params"]:
            assert params[segue.models.python_name(p["name"])].default == p["default"]
    assert segue.models.ALS is segue.models.IALS is segue.models.ials


def test_typed_shortcut_is_the_spec():
    assert segue.models.ItemKNN(k=5, similarity="jaccard").spec == segue.Model("itemknn:k=5,similarity=jaccard").spec
    assert segue.models.IALS().spec == segue.Model("ials").spec
    assert segue.models.EASE(lambda_=50).spec == segue.Model("ease:lambda=50").spec
    with pytest.raises(TypeError, match="unknown parameter 'kk'"):
        segue.models.ItemKNN(kk=5)
    with pytest.raises(ValueError, match="k"):
        segue.models.ItemKNN(k=0)


def test_save_load_gives_the_same_lists(csr, tmp_path):
    model = segue.models.IALS(factors=8, iterations=3).fit(csr)
    model.save(tmp_path / "m.segue")
    loaded = segue.load(tmp_path / "m.segue")
    assert loaded.spec == model.spec and loaded.n_items == csr.shape[1]
    users = np.arange(csr.shape[0])
    a, sa = model.recommend(users, csr[users])
    b, sb = loaded.recommend(users, csr[users])
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(sa, sb)


def test_factors_are_views_that_score(csr):
    model = segue.models.IALS(factors=8, iterations=3).fit(csr)
    items, users = model.item_factors, model.user_factors
    assert items.shape[0] == csr.shape[1] and users.shape == (csr.shape[0], items.shape[1])
    assert not items.flags.writeable and not items.flags.owndata
    np.testing.assert_allclose(users @ items.T, model.score_users(np.arange(csr.shape[0])), rtol=1e-4, atol=1e-5)
    assert segue.models.ItemKNN().fit(csr).item_factors is None


def test_similar_items_and_explain(csr):
    model = segue.models.ItemKNN(k=20).fit(csr)
    ids, scores = model.similar_items(3, N=5)
    assert 3 not in ids and len(ids) == 5 and np.all(np.diff(scores) <= 0)
    batch, _ = model.similar_items(np.array([3, 4]), N=5)
    np.testing.assert_array_equal(batch[0], ids)
    u = 7
    top = model.recommend(u, N=1)[0][0]
    why = model.explain(u, int(top))
    assert why["contributions"], why["note"]
    assert {item for item, _ in why["contributions"]} <= set(csr[u].indices)
    assert sum(share for _, share in why["contributions"]) <= 1 + 1e-6


def test_recommend_from_history_matches_a_known_user(csr):
    model = segue.models.ItemKNN(k=20).fit(csr)
    u = 11
    ids, scores = model.recommend(u, N=8)
    fold_ids, fold_scores = model.recommend_from_history(csr[u].indices, csr[u].data, N=8)
    np.testing.assert_array_equal(ids, fold_ids)
    np.testing.assert_allclose(scores, fold_scores, rtol=1e-5)
    rec_ids, _ = model.recommend(np.array([u]), csr[u], N=8, recalculate_user=True)
    np.testing.assert_array_equal(rec_ids[0], ids)


def test_progress_callback_sees_every_iteration(csr):
    seen = []
    segue.models.IALS(factors=4, iterations=5).fit(csr, progress=lambda stage, done, total, detail: seen.append((stage, done, total)))
    assert [s for s in seen if s[0] == "iteration"] == [("iteration", i, 5) for i in range(1, 6)]
    with pytest.raises(ZeroDivisionError):
        segue.models.IALS(factors=4, iterations=5).fit(csr, progress=lambda *a: 1 / 0)


def test_fit_releases_the_gil():
    import scipy.sparse

    rng = np.random.RandomState(0)
    big = scipy.sparse.random(3000, 2000, density=0.02, format="csr", dtype=np.float32, random_state=rng)
    big.data[:] = 1
    model = segue.models.IALS(factors=32, iterations=8)
    span, stamps = {}, []
    done = threading.Event()

    def work():
        span["start"] = time.perf_counter()
        model.fit(big, threads=1)
        span["end"] = time.perf_counter()
        done.set()

    worker = threading.Thread(target=work)
    worker.start()
    while not done.is_set():
        stamps.append(time.perf_counter())
    worker.join()
    # Had the fit held the GIL, this thread could not have run between its start and end.
    inside = [t for t in stamps if span["start"] < t < span["end"]]
    assert span["end"] - span["start"] > 0.05 and len(inside) > 1000 and model.fitted


def test_deep_models_load_or_name_the_fix(csr):
    try:
        model = segue.Model("multvae:epochs=2")
    except ValueError as e:
        assert "libtorch" in str(e) or "segue_deep" in str(e)
        return
    model.fit(csr)
    ids, _ = model.recommend(np.arange(5), csr[:5], N=5)
    assert ids.shape == (5, 5)


def test_item_features_from_a_dataframe(csr):
    import pandas as pd

    # Items 0-39 by four artists, ten items each: content scores by the artists a user played.
    items = pd.DataFrame({"item_id": np.arange(csr.shape[1]), "artist": [f"artist{i // 10}" for i in range(csr.shape[1])]})
    with pytest.raises(ValueError, match="items"):
        segue.Model("content").fit(csr)
    model = segue.Model("content").fit(csr, items=items)
    ids, _ = model.similar_items(3, N=9)
    assert set(ids) == set(range(10)) - {3}, "an item's neighbours by features are its artist's other items"
    with pytest.raises(KeyError, match="item_id"):
        segue.Model("content").fit(csr, items=pd.DataFrame({"artist": ["a"]}))


def test_tqdm_progress_bar(csr, capsys):
    segue.models.IALS(factors=4, iterations=3).fit(csr, progress=True)
    assert "iteration" in capsys.readouterr().err


def test_factor_views_survive_a_refit_and_a_failed_fit_changes_nothing(csr):
    model = segue.models.IALS(factors=8, iterations=2).fit(csr)
    before = model.item_factors
    copy = before.copy()
    model.fit(csr[:, :20].tocsr())
    assert model.n_items == 20 and before.shape[0] == csr.shape[1]
    np.testing.assert_array_equal(before, copy)  # still the old model's memory, alive
    bad = csr.copy()
    bad.data[0] = np.nan
    with pytest.raises(ValueError):
        model.fit(bad)
    assert model.fitted and model.n_items == 20


def test_spec_round_trip_of_every_model():
    for name in segue.model_names():
        try:
            spec = segue.Model(name).spec
        except ValueError as e:  # a deep model without libtorch
            assert "libtorch" in str(e) or "segue_deep" in str(e)
            continue
        assert segue.Model(spec).spec == spec


@pytest.mark.parametrize("spec", ["itemknn:k=20", "ials:factors=8,iterations=3", "pop"])
def test_fit_reads_the_csr_in_place_and_keeps_nothing_of_it(csr, spec):
    # A float32 CSR with int64 indptr is handed to fit without a copy (docs/PYTHON.md); what the model keeps
    # (its training history, its weights) is its own, so changing or freeing the caller's arrays afterwards
    # changes nothing.
    mine = csr.copy()
    mine.indptr = mine.indptr.astype(np.int64)
    model = segue.Model(spec).fit(mine, threads=1)
    users = np.arange(csr.shape[0])
    before = model.recommend(users, csr[users], N=10)
    filtered_before = model.recommend(users, None, N=10, filter_already_liked_items=True)
    mine.data[:] = 1000.0
    mine.indices[:] = 0
    del mine
    after = model.recommend(users, csr[users], N=10)
    filtered_after = model.recommend(users, None, N=10, filter_already_liked_items=True)
    for x, y in zip(before + filtered_before, after + filtered_after):
        np.testing.assert_array_equal(x, y)
    twin = segue.Model(spec).fit(csr.astype(np.float64), threads=1)  # converted: the same fit
    for x, y in zip(before, twin.recommend(users, csr[users], N=10)):
        np.testing.assert_array_equal(x, y)
