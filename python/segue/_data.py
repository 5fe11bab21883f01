"""segue.Dataset, segue.split, segue.import_: data through the same importers,
store and splitter as `segue import` / `segue split`."""

import os
import tempfile

import numpy as np

from . import _segue


def _opt(value):
    return "" if value is None else str(value)


class Dataset:
    """Listening data: events by user over dense int ids, with the string ids of
    users and items (both ways: `user_ids[i]`, `user_index("2")`)."""

    def __init__(self, native, parent=None):
        if not isinstance(native, _segue.Dataset):
            raise TypeError("Dataset: use Dataset.from_csv, .from_pandas or .from_store")
        self._d = native
        self._parent = parent  # the data a split came from: item names for labels
        self._user_ids = None
        self._item_ids = None
        self.import_report = ""

    # ---- constructors
    @classmethod
    def from_csv(cls, path, user_col="user_id", item_col="item_id", weight_col=None, time_col=None,
                 event_col=None, session_col=None, position_col=None, delimiter=None, signal=None,
                 on_error="fail"):
        """A CSV/TSV of events (as `segue import --format csv`): one row per event."""
        return cls(_segue.read_csv(os.fspath(path), user_col, item_col, _opt(weight_col), _opt(time_col),
                                   _opt(event_col), _opt(session_col), _opt(position_col), _opt(delimiter),
                                   _opt(signal), on_error))

    @classmethod
    def from_pandas(cls, df, user_col="user_id", item_col="item_id", weight_col=None, time_col=None,
                    event_col=None, signal=None):
        """Events from a DataFrame, one row per event, in row order. Ids become strings;
        time_col may hold unix seconds or datetimes."""
        import pandas as pd

        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"df: expected a pandas DataFrame, got {type(df).__name__}")
        for argument, column in (("user_col", user_col), ("item_col", item_col), ("weight_col", weight_col),
                                 ("time_col", time_col), ("event_col", event_col)):
            if column is None:
                continue
            if column not in df.columns:
                raise KeyError(f"{argument}: no column '{column}' (columns: {', '.join(map(str, df.columns))})")
            if df[column].isna().any():
                raise ValueError(f"{argument}: column '{column}' has missing values (row {int(df[column].isna().to_numpy().argmax())})")
        users = df[user_col].astype(str).tolist()
        items = df[item_col].astype(str).tolist()
        weights = None
        if weight_col is not None:
            column = df[weight_col]
            if not pd.api.types.is_numeric_dtype(column):
                raise TypeError(f"weight_col: column '{weight_col}' is not numeric ({column.dtype})")
            weights = np.ascontiguousarray(column.to_numpy(), dtype=np.float32)
        times = None
        if time_col is not None:
            column = df[time_col]
            if pd.api.types.is_datetime64_any_dtype(column):
                epoch = pd.Timestamp("1970-01-01", tz=column.dt.tz)
                times = np.ascontiguousarray(((column - epoch) // pd.Timedelta(seconds=1)).to_numpy(), dtype=np.int64)
            elif pd.api.types.is_numeric_dtype(column):
                times = np.ascontiguousarray(column.to_numpy(), dtype=np.int64)
            else:
                raise TypeError(f"time_col: column '{time_col}' must hold unix seconds or datetimes ({column.dtype})")
        events = df[event_col].astype(str).tolist() if event_col is not None else None
        return cls(_segue.from_columns(users, items, weights, times, events, _opt(signal), "pandas"))

    @classmethod
    def from_store(cls, dir):
        """A store directory written by `segue import` (or segue.import_)."""
        return cls(_segue.load_store(os.fspath(dir)))

    # ---- sizes and ids
    n_users = property(lambda self: self._d.n_users)
    n_items = property(lambda self: self._d.n_items)
    n_events = property(lambda self: self._d.n_events)

    @property
    def user_ids(self):
        """String id of each user index (a list)."""
        if self._user_ids is None:
            self._user_ids = self._d.user_ids()
        return self._user_ids

    @property
    def item_ids(self):
        if self._item_ids is None:
            self._item_ids = self._d.item_ids()
        return self._item_ids

    def user_index(self, user_id):
        return self._d.user_index(str(user_id))

    def item_index(self, item_id):
        return self._d.item_index(str(item_id))

    def item_label(self, item):
        """'Artist - Name' of an item index (or its id when the data has no names)."""
        if self._parent is not None:
            return self._parent.item_label(self._parent.item_index(self.item_ids[item]))
        return self._d.item_label(int(item))

    def to_csr(self):
        """(user_items, user_ids, item_ids): the feedback every model trains on
        (Σ weight × signal per user and item, as `segue train` builds it) as a
        scipy.sparse.csr_matrix of float32, users × items, and the string ids of
        its rows and columns (numpy object arrays)."""
        import scipy.sparse

        indptr, indices, values, shape = self._d.feedback()
        matrix = scipy.sparse.csr_matrix((values, indices, indptr), shape=shape)
        return matrix, np.array(self.user_ids, dtype=object), np.array(self.item_ids, dtype=object)

    def to_pandas(self):
        """The events as a DataFrame (user_id, item_id, weight[, timestamp])."""
        import pandas as pd

        users, items, weights, times = self._d.events()
        frame = {"user_id": np.array(self.user_ids, dtype=object)[users],
                 "item_id": np.array(self.item_ids, dtype=object)[items], "weight": weights}
        if times is not None:
            frame["timestamp"] = times
        return pd.DataFrame(frame)

    def save(self, dir):
        """Writes a store directory (what `segue import` writes)."""
        self._d.save(os.fspath(dir))

    def __len__(self):
        return self.n_events

    def __repr__(self):
        return f"<segue.Dataset {self.n_users} users, {self.n_items} items, {self.n_events} events>"


def import_(format, input, out=None, kcore_users=0, kcore_items=0, duplicates="keep", min_weight=0.0,
            user_col="user_id", item_col="item_id", weight_col=None, time_col=None, event_col=None, delimiter=None,
            signal=None, on_error="fail"):
    """`segue import`: reads `input` in one of segue.import_formats() (csv, lastfm,
    mpd, ...), filters (duplicates, min_weight, k-core) and, when `out` is given,
    writes the store there. Returns the Dataset; what the filters removed is in
    its .import_report."""
    native, report = _segue.import_data(format, os.fspath(input), _opt(out and os.fspath(out)), int(kcore_users),
                                        int(kcore_items), duplicates, float(min_weight), user_col, item_col,
                                        _opt(weight_col), _opt(time_col), _opt(event_col), _opt(delimiter),
                                        _opt(signal), on_error)
    data = Dataset(native)
    data.import_report = report
    return data


def import_formats():
    return list(_segue.import_formats())


def split(dataset, method="random", seed=42, test_fraction=0.2, leave_n=1, cold_fraction=0.2, out=None):
    """`segue split`: returns (train, test) Datasets, exactly what `segue eval
    --train train.csv --test test.csv` reads after `segue split DIR --method M
    --seed S --out OUT` (the files are written to `out`, or to a temporary
    directory that is removed)."""
    if not isinstance(dataset, Dataset):
        raise TypeError(f"dataset: expected a segue.Dataset, got {type(dataset).__name__}")
    if out is not None:
        train, test, summary = _segue.split(dataset._d, method, int(seed), float(test_fraction), int(leave_n),
                                            float(cold_fraction), os.fspath(out))
    else:
        with tempfile.TemporaryDirectory(prefix="segue-split-") as tmp:
            train, test, summary = _segue.split(dataset._d, method, int(seed), float(test_fraction), int(leave_n),
                                                float(cold_fraction), tmp)
    labels = dataset if dataset._parent is None else dataset._parent
    train, test = Dataset(train, parent=labels), Dataset(test, parent=labels)
    train.split_summary = test.split_summary = summary
    return train, test
