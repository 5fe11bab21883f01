"""The same spec through Python and through the segue command gives the same
lists and the same metrics (means, bootstrap CIs, paired tests)."""

import json
import subprocess

import numpy as np
import pandas as pd
import pytest

import segue

SPECS = ["ials:factors=8,iterations=3", "itemknn:k=20", "ease:lambda=50"]
METRICS = ["ndcg@10", "recall@20"]


def run(binary, *args):
    subprocess.run([binary, *map(str, args)], check=True, capture_output=True, text=True)


@pytest.fixture
def both(segue_binary, log_csv, tmp_path):
    """The CLI's import, split and eval; Python's import and split of the same file."""
    run(segue_binary, "import", "--format", "csv", "--input", log_csv, "--out", tmp_path / "cli-store",
        "--weight-col", "weight")
    run(segue_binary, "split", tmp_path / "cli-store", "--method", "random", "--seed", 42, "--out", tmp_path / "split")
    data = segue.import_("csv", log_csv, tmp_path / "py-store", weight_col="weight")
    train, test = segue.split(data, method="random", seed=42)
    return tmp_path, train, test


def test_eval_numbers_are_identical(segue_binary, both):
    tmp, train, test = both
    args = ["eval", "--train", tmp / "split/train.csv", "--test", tmp / "split/test.csv", "--metrics",
            ",".join(METRICS), "--bootstrap", 300, "--json", tmp / "cli.json"]
    for spec in SPECS:
        args += ["--model", spec]
    run(segue_binary, *args)
    cli = json.loads((tmp / "cli.json").read_text())
    table, _ = segue.evaluate(SPECS, train, test, metrics=METRICS, bootstrap=300)
    py = table.attrs["json"]
    assert len(cli["results"]) == len(py["results"]) == len(SPECS)
    for a, b in zip(cli["results"], py["results"]):
        assert a["params"] == b["params"]
        assert a["users_evaluated"] == b["users_evaluated"]
        assert a["metrics"] == b["metrics"]  # exactly, not approximately
        assert a.get("ci95") == b.get("ci95")
        assert a.get("paired_test") == b.get("paired_test")


@pytest.mark.parametrize("spec", SPECS)
def test_train_and_recommend_lists_are_identical(segue_binary, both, spec):
    tmp, train, _ = both
    run(segue_binary, "train", "--train", tmp / "split/train.csv", "--model", spec, "--out", tmp / "cli.model")
    run(segue_binary, "recommend", "--model", tmp / "cli.model", "--all", "--n", 10, "--out", tmp / "recs.csv")
    cli = pd.read_csv(tmp / "recs.csv", dtype={"user_id": str, "item_id": str})
    model = segue.Model(spec).fit(train)
    users = np.arange(train.n_users)
    ids, scores = model.recommend(users, n=10)
    items = np.array(model.item_ids, dtype=object)
    rows = []
    for u in users:
        keep = ids[u] >= 0
        for rank, (i, s) in enumerate(zip(ids[u][keep], scores[u][keep]), start=1):
            rows.append((model.user_ids[u], items[i], rank))
    py = pd.DataFrame(rows, columns=["user_id", "item_id", "rank"])
    pd.testing.assert_frame_equal(cli[["user_id", "item_id", "rank"]].sort_values(["user_id", "rank"]).reset_index(drop=True),
                                  py.sort_values(["user_id", "rank"]).reset_index(drop=True))
    # The CLI's model file, loaded in Python, gives the same lists and scores.
    loaded = segue.load(tmp / "cli.model")
    loaded_ids, loaded_scores = loaded.recommend(users, n=10)
    np.testing.assert_array_equal(loaded_ids, ids)
    np.testing.assert_array_equal(loaded_scores, scores)
