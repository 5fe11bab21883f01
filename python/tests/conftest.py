"""Fixtures of the Python tests: small listening logs written by the tests
themselves, and the segue binary (SEGUE_BINARY, else `segue` on PATH) for the
tests that compare with the command line."""

import os
import shutil

import numpy as np
import pytest
import scipy.sparse


def write_log(path, n_users=80, n_items=50, per_user=12, seed=7):
    """A play-count log with string ids and popularity skew: user_id,item_id,weight."""
    rng = np.random.RandomState(seed)
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.8
    popularity /= popularity.sum()
    lines = ["user_id,item_id,weight"]
    for u in range(n_users):
        items = rng.choice(n_items, size=per_user, replace=False, p=popularity)
        for i in items:
            lines.append(f"u{u},track{i},{int(rng.randint(1, 20))}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


@pytest.fixture
def log_csv(tmp_path):
    return write_log(tmp_path / "plays.csv")


@pytest.fixture
def csr():
    """users × items play counts, float32, like implicit's examples."""
    rng = np.random.RandomState(3)
    dense = (rng.rand(60, 40) < 0.2) * rng.randint(1, 10, size=(60, 40))
    dense[:, 0] += 1  # every user has an item
    return scipy.sparse.csr_matrix(dense.astype(np.float32))


@pytest.fixture(scope="session")
def segue_binary():
    path = os.environ.get("SEGUE_BINARY") or shutil.which("segue")
    if not path or not os.path.exists(path):
        pytest.skip("no segue binary (set SEGUE_BINARY)")
    return path
