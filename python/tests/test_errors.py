"""Bad input gives Python exceptions naming the argument, never a crash."""

import numpy as np
import pytest
import scipy.sparse

import segue


def test_non_csr_inputs(csr):
    model = segue.Model("pop")
    with pytest.raises(TypeError, match="user_items.*CSR.*CSC"):
        model.fit(csr.tocsc())
    with pytest.raises(TypeError, match="user_items.*ndarray"):
        model.fit(csr.toarray())
    with pytest.raises(TypeError, match="user_items.*dtype"):
        model.fit(csr.astype(np.complex64))


def test_nan_weight_names_row_and_column(csr):
    bad = csr.copy()
    bad.data[5] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite weight at row"):
        segue.Model("ials:factors=4").fit(bad)
    bad.data[5] = np.inf
    with pytest.raises(ValueError, match="user_items"):
        segue.Model("ials:factors=4").fit(bad)


def test_bad_specs_name_the_key():
    with pytest.raises(ValueError, match="factors"):
        segue.Model("ials:factors=0")
    with pytest.raises(ValueError, match="nonsense"):
        segue.Model("ials:nonsense=1")
    with pytest.raises(ValueError, match="unknown model|known"):
        segue.Model("no_such_model")
    with pytest.raises(TypeError, match="spec"):
        segue.Model(42)


def test_recommend_argument_errors(csr):
    model = segue.Model("itemknn:k=10").fit(csr)
    with pytest.raises(ValueError, match="userid.*out of range"):
        model.recommend(60)
    with pytest.raises(ValueError, match="userid.*out of range"):
        model.recommend(np.array([1, 999]), csr[[1, 1]])
    with pytest.raises(ValueError, match="user_items: 2 rows for 3 users"):
        model.recommend(np.array([1, 2, 3]), csr[[1, 2]])
    with pytest.raises(ValueError, match="user_items: 5 columns"):
        model.recommend(np.array([1]), scipy.sparse.csr_matrix((1, 5), dtype=np.float32))
    with pytest.raises(ValueError, match="N: must be at least 1"):
        model.recommend(1, N=0)
    with pytest.raises(KeyError, match="unknown user id"):
        model.recommend("nobody")  # a CSR fit has no string ids
    with pytest.raises(ValueError, match="itemid.*out of range"):
        model.similar_items(40)
    with pytest.raises(TypeError, match="userid"):
        model.recommend(np.array([1.5, 2.0]))
    with pytest.raises(ValueError, match="items.*out of range"):
        model.recommend(1, items=[100])


def test_unfitted_model_says_so():
    with pytest.raises(ValueError, match="not fitted"):
        segue.Model("pop").recommend(0)


def test_bad_files_name_the_file(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,item_id,weight\nu1,i1,abc\n")
    with pytest.raises(ValueError, match="bad.csv"):
        segue.Dataset.from_csv(bad, weight_col="weight")
    with pytest.raises(ValueError, match="missing.model"):
        segue.load(tmp_path / "missing.model")


def test_pandas_errors_name_the_column():
    import pandas as pd

    df = pd.DataFrame({"user": ["a", "b"], "item": ["x", None], "plays": [1.0, 2.0]})
    with pytest.raises(KeyError, match="user_col"):
        segue.Dataset.from_pandas(df)
    with pytest.raises(ValueError, match="item_col.*missing"):
        segue.Dataset.from_pandas(df, user_col="user", item_col="item")
    df = pd.DataFrame({"user": ["a", "b"], "item": ["x", "y"], "plays": [1.0, np.nan]})
    with pytest.raises(ValueError, match="weight_col"):
        segue.Dataset.from_pandas(df, user_col="user", item_col="item", weight_col="plays")
