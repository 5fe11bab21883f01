"""segue.evaluate: `segue eval` from Python — the same fits, full-ranking
evaluator, bootstrap CIs, paired tests and HTML report."""

import json as _json
import os

import numpy as np

from . import _segue

# `segue eval`'s default --metrics.
DEFAULT_METRICS = ("ndcg@10", "recall@10", "recall@20", "precision@10", "map@10", "mrr@10", "hit@10", "coverage@10")


def evaluate(models, train, test, metrics=DEFAULT_METRICS, bootstrap=1000, *, seed=42, report=None, json=None,
             fit=True, threads=None, label="python"):
    """Fits each model on `train` and measures it on `test` (full ranking, each
    user's training items excluded), as `segue eval --train --test` does.

    models: spec strings and/or segue.Model objects (one, or a list); with
    fit=False, Model objects already fitted on `train` are measured as they are.
    Returns (table, per_user): table is a pandas DataFrame with one row per
    model (index: the spec without defaults), a column per metric (the mean),
    `<metric> ci_low` / `<metric> ci_high` (95% bootstrap CI), `<metric> p` and
    `<metric> p_holm` (paired test against the first model), users_evaluated,
    fit_seconds, eval_seconds; table.attrs["json"] is `segue eval --json`'s object.
    per_user maps each model's label to a DataFrame of its per-user values
    (index: user ids). report=path.html writes `segue eval --report`'s page;
    json=path the JSON. The GIL is released throughout."""
    import pandas as pd

    from ._data import Dataset
    from ._model import Model

    if isinstance(models, (str, Model)):
        models = [models]
    wrapped = [m if isinstance(m, Model) else Model(m) for m in models]
    for name, data in (("train", train), ("test", test)):
        if not isinstance(data, Dataset):
            raise TypeError(f"{name}: expected a segue.Dataset (segue.split gives train and test)")
    if isinstance(metrics, str):
        metrics = [m.strip() for m in metrics.split(",") if m.strip()]
    # Fitting makes fresh models of the same specs (as Model.fit: views of the old ones stay valid).
    natives = [_segue.make_model(m._m.spec) if fit else m._m for m in wrapped]
    text, per_user = _segue.evaluate(natives, train._d, test._d, list(metrics), int(bootstrap), int(seed), bool(fit),
                                     os.fspath(report) if report else "", os.fspath(json) if json else "", label,
                                     threads)
    result = _json.loads(text)
    if fit:
        for m, native in zip(wrapped, natives):
            m._m, m._labels, m._user_ids, m._item_ids = native, train, None, None
    rows, labels = [], []
    for entry in result["results"]:
        row = {}
        for name, mean in entry["metrics"].items():
            row[name] = mean
            ci = entry.get("ci95", {}).get(name)
            row[f"{name} ci_low"], row[f"{name} ci_high"] = (ci if ci else (np.nan, np.nan))
            test_ = entry.get("paired_test", {}).get(name)
            if test_:
                row[f"{name} p"] = test_.get("p_value", np.nan)
                row[f"{name} p_holm"] = test_.get("p_holm", np.nan)
        for key in ("users_evaluated", "fit_seconds", "eval_seconds"):
            row[key] = entry[key]
        rows.append(row)
        labels.append(entry["label"])
    table = pd.DataFrame(rows, index=pd.Index(labels, name="model"))
    table.attrs["json"] = result
    user_ids = np.array(train.user_ids, dtype=object)
    vectors = {}
    for label_, (users, values) in zip(labels, per_user):
        vectors[label_] = pd.DataFrame(values, index=pd.Index(user_ids[users], name="user_id"))
    return table, vectors
