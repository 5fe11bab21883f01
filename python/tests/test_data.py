"""Datasets: CSV, pandas, stores and imports give the same feedback; ids map both ways."""

import numpy as np
import pandas as pd
import pytest

import segue


def test_from_csv_ids_and_csr(log_csv):
    data = segue.Dataset.from_csv(log_csv, weight_col="weight")
    assert (data.n_users, data.n_events) == (80, 80 * 12)
    csr, users, items = data.to_csr()
    assert csr.shape == (data.n_users, data.n_items) and csr.dtype == np.float32
    assert csr.format == "csr" and csr.has_canonical_format
    frame = pd.read_csv(log_csv)
    assert csr.sum() == pytest.approx(frame.weight.sum())
    row = frame[frame.user_id == "u3"].set_index("item_id").weight
    u = data.user_index("u3")
    assert users[u] == "u3"
    got = {items[i]: v for i, v in zip(csr[u].indices, csr[u].data)}
    assert got == row.astype(np.float32).to_dict()
    with pytest.raises(KeyError, match="unknown id 'nobody'"):
        data.user_index("nobody")


def test_pandas_csv_and_store_agree(log_csv, tmp_path):
    a = segue.Dataset.from_csv(log_csv, weight_col="weight")
    b = segue.Dataset.from_pandas(pd.read_csv(log_csv), weight_col="weight")
    a.save(tmp_path / "store")
    c = segue.Dataset.from_store(tmp_path / "store")
    ca, cb, cc = a.to_csr()[0], b.to_csr()[0], c.to_csr()[0]
    assert (ca != cb).nnz == 0 and (ca != cc).nnz == 0
    assert a.item_ids == b.item_ids == c.item_ids
    back = c.to_pandas()
    assert len(back) == a.n_events and set(back.columns) >= {"user_id", "item_id", "weight"}


def test_import_filters_like_the_cli(log_csv, tmp_path):
    data = segue.import_("csv", log_csv, tmp_path / "store", kcore_items=10, weight_col="weight")
    assert "kcore" in data.import_report
    csr = data.to_csr()[0]
    assert (np.diff(csr.tocsc().indptr) >= 10).all()
    assert segue.Dataset.from_store(tmp_path / "store").n_events == data.n_events


def test_pandas_datetimes_become_unix_seconds():
    df = pd.DataFrame({"user_id": ["a", "a", "b"], "item_id": ["x", "y", "x"],
                       "when": pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-03"])})
    data = segue.Dataset.from_pandas(df, time_col="when")
    assert data.to_pandas().timestamp.tolist() == [1577836800, 1577923200, 1578009600]


def test_split_is_deterministic_and_disjoint(log_csv):
    data = segue.Dataset.from_csv(log_csv, weight_col="weight")
    train, test = segue.split(data, method="random", seed=42)
    again, _ = segue.split(data, method="random", seed=42)
    other, _ = segue.split(data, method="random", seed=43)
    assert train.n_events + test.n_events == data.n_events
    assert train.to_pandas().equals(again.to_pandas())
    assert not train.to_pandas().equals(other.to_pandas())
    pairs = lambda d: set(zip(d.to_pandas().user_id, d.to_pandas().item_id))
    assert not pairs(train) & pairs(test)
    with pytest.raises(ValueError, match="method"):
        segue.split(data, method="sideways")
