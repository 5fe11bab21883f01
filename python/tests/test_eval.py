"""segue.evaluate: a table with CIs, per-user vectors, the HTML report."""

import numpy as np
import pytest

import segue


@pytest.fixture
def split(log_csv):
    data = segue.Dataset.from_csv(log_csv, weight_col="weight")
    return segue.split(data, method="random", seed=42)


def test_table_and_per_user_vectors(split, tmp_path):
    train, test = split
    table, per_user = segue.evaluate(["pop", segue.models.ItemKNN(k=20)], train, test,
                                     metrics=["ndcg@10", "recall@20"], bootstrap=200, report=tmp_path / "r.html")
    assert list(table.index) == ["pop", "itemknn:k=20"]
    for metric in ("ndcg@10", "recall@20"):
        for label in table.index:
            vector = per_user[label][metric]
            assert table.loc[label, metric] == pytest.approx(np.nanmean(vector), rel=1e-9)
            assert table.loc[label, f"{metric} ci_low"] <= table.loc[label, metric] <= table.loc[label, f"{metric} ci_high"]
    assert "ndcg@10 p" in table.columns and np.isnan(table.loc["pop"].get("ndcg@10 p", np.nan))
    assert list(per_user["pop"].index[:1]) and per_user["pop"].index.name == "user_id"
    html = (tmp_path / "r.html").read_text()
    assert html.startswith("<!DOCTYPE html>") or "<html" in html[:200]
    assert "itemknn" in html and "recall@50" in table.attrs["json"]["results"][0]["metrics"]


def test_evaluate_argument_errors(split):
    train, test = split
    with pytest.raises(ValueError, match="ndcg@x|metric"):
        segue.evaluate(["pop"], train, test, metrics=["ndcg@x"])
    with pytest.raises(TypeError, match="train"):
        segue.evaluate(["pop"], train.to_csr()[0], test)
    with pytest.raises(ValueError, match="bootstrap"):
        segue.evaluate(["pop"], train, test, bootstrap=-1)


def test_fitted_model_from_a_dataset_takes_string_ids(split):
    train, _ = split
    model = segue.Model("itemknn:k=20").fit(train)
    u = train.user_ids[5]
    ids, _ = model.recommend(u, n=5)
    same, _ = model.recommend(5, n=5)
    np.testing.assert_array_equal(ids, same)
    assert model.item_ids == train.item_ids
    labels = [model.item_label(i) for i in ids]
    assert all(label.startswith("track") for label in labels)
    by_name, _ = model.recommend_from_history([train.item_ids[0], train.item_ids[1]], n=5)
    assert 0 not in by_name and 1 not in by_name
