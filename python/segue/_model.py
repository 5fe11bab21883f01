"""segue.Model: any registered model by its spec string, with implicit 0.7's
calls (fit, recommend, similar_items, ...) over segue's Recommender contract."""

import os
import sys
import tempfile

import numpy as np

from . import _segue

_INT32_MAX = np.iinfo(np.int32).max
try:
    from scipy.sparse import csr_matrix as _CSR
except ImportError:  # scipy is needed only for sparse input
    _CSR = None


def _as_csr(matrix, argument):
    """A canonical scipy CSR matrix (sorted, summed duplicates); TypeError otherwise."""
    import scipy.sparse

    if not scipy.sparse.issparse(matrix):
        raise TypeError(f"{argument}: expected a scipy.sparse CSR matrix (users × items) or a segue.Dataset, "
                        f"got {type(matrix).__name__}")
    if matrix.format != "csr":
        raise TypeError(f"{argument}: expected a CSR matrix, got {matrix.format.upper()} (convert with .tocsr())")
    if matrix.dtype.kind not in "fiub":
        raise TypeError(f"{argument}: expected numeric weights (float32 best), got dtype {matrix.dtype}")
    if matrix.shape[0] > _INT32_MAX or matrix.shape[1] > _INT32_MAX:
        raise ValueError(f"{argument}: shape {matrix.shape} exceeds int32 ids")
    if not matrix.has_canonical_format:
        matrix = matrix.copy()
        matrix.sum_duplicates()  # sorts the indices too
    return matrix


def _csr_arrays(matrix):
    """(indptr int64, indices int32, data float32): no copy where the dtype already fits."""
    return (np.ascontiguousarray(matrix.indptr, dtype=np.int64),
            np.ascontiguousarray(matrix.indices, dtype=np.int32),
            np.ascontiguousarray(matrix.data, dtype=np.float32))


def _tqdm_progress():
    """A progress callback drawing one tqdm bar per stage (a plain stderr line without tqdm)."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        tqdm = None
    bars = {}

    def report(stage, done, total, detail):
        if tqdm is None:
            print(f"{stage} {done}/{total} {detail}".rstrip(), file=sys.stderr)
            return
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total or None, desc=stage, leave=False)
        bar.n = done
        if detail:
            bar.set_postfix_str(detail, refresh=False)
        bar.refresh()
        if total and done >= total:
            bar.close()

    def close():
        for bar in bars.values():
            bar.close()

    return report, close


def _items_csv(items, tmpdir):
    """Item features: a path, or a DataFrame in the items-CSV layout (item_id + columns)."""
    if items is None:
        return ""
    if isinstance(items, (str, os.PathLike)):
        return os.fspath(items)
    import pandas as pd

    if not isinstance(items, pd.DataFrame):
        raise TypeError(f"items: expected a DataFrame in the items-CSV layout or a path, got {type(items).__name__}")
    frame = items if "item_id" in items.columns else items.reset_index()
    if "item_id" not in frame.columns:
        raise KeyError("items: needs an item_id column (or index) naming the items")
    path = os.path.join(tmpdir, "items.csv")
    frame.to_csv(path, index=False)
    return path


class Model:
    """A segue model made from a spec string (`segue models` lists them):

        model = segue.Model("ials:factors=128,alpha=4")
        model.fit(user_items)                       # scipy CSR (users × items) or a segue.Dataset
        ids, scores = model.recommend(userids, user_items[userids], N=10)

    Ids are the dense indices of the training matrix; a model fitted on a
    Dataset (or loaded from a file written by `segue train`) also takes and gives
    the string ids (`user_ids`, `item_ids`, `user_index`, `item_index`)."""

    def __init__(self, spec):
        if isinstance(spec, _segue.Recommender):
            self._m = spec
        elif isinstance(spec, str):
            self._m = _segue.make_model(spec)
        else:
            raise TypeError(f"spec: expected a spec string such as 'ials:factors=128', got {type(spec).__name__}")
        self._labels = None  # the Dataset it was fitted on, for item labels
        self._user_ids = self._item_ids = None

    # ---- what it is
    name = property(lambda self: self._m.name)
    spec = property(lambda self: self._m.spec, doc="the canonical spec, every parameter spelled out")
    fitted = property(lambda self: self._m.fitted)
    n_users = property(lambda self: self._m.n_users)
    n_items = property(lambda self: self._m.n_items)
    fit_seconds = property(lambda self: self._m.fit_seconds)

    @property
    def params(self):
        return self._m.params()

    def __repr__(self):
        return f"<segue.Model {self._m.short_spec}{'' if self.fitted else ' (not fitted)'}>"

    # ---- training
    def fit(self, user_items, items=None, *, seed=42, progress=None, show_progress=False, threads=None, text_dim=0):
        """Fits on `user_items`: a scipy CSR matrix (users × items; float32 weights
        are used without conversion) or a segue.Dataset (as `segue train --data`).
        items: item features (a DataFrame in the items-CSV layout, or its path) for
        content-aware models; progress: a callable(stage, done, total, detail) or
        True for a tqdm bar; threads: a pool of that size for this fit. The GIL is
        released while fitting. Returns self."""
        from ._data import Dataset

        close = None
        if progress is True or (progress is None and show_progress):
            progress, close = _tqdm_progress()
        elif progress is not None and not callable(progress):
            raise TypeError("progress: expected a callable(stage, done, total, detail) or True")
        # A fresh model of the same spec: views of the old one (item_factors) and
        # calls running on it in other threads stay valid; a failed fit changes nothing.
        fresh = _segue.make_model(self._m.spec)
        try:
            with tempfile.TemporaryDirectory(prefix="segue-items-") as tmp:
                items_csv = _items_csv(items, tmp)
                if isinstance(user_items, Dataset):
                    fresh.fit_dataset(user_items._d, int(seed), progress, threads, items_csv, int(text_dim))
                    labels = user_items
                else:
                    matrix = _as_csr(user_items, "user_items")
                    indptr, indices, data = _csr_arrays(matrix)
                    fresh.fit_csr(indptr, indices, data, matrix.shape[0], matrix.shape[1], int(seed), progress,
                                  threads, items_csv, int(text_dim))
                    labels = None
        finally:
            if close is not None:
                close()
        self._m, self._labels = fresh, labels
        self._user_ids = self._item_ids = None
        return self

    # ---- ids
    @property
    def user_ids(self):
        """String id of each user index, or None (fitted on a bare matrix)."""
        if self._user_ids is None:
            self._user_ids = self._m.user_ids()
        return self._user_ids

    @property
    def item_ids(self):
        if self._item_ids is None:
            self._item_ids = self._m.item_ids()
        return self._item_ids

    def user_index(self, user_id):
        return self._m.user_index(str(user_id))

    def item_index(self, item_id):
        return self._m.item_index(str(item_id))

    def item_label(self, item):
        """'Artist - Name' when the model was fitted on a Dataset with names, else the item's id."""
        if self._labels is not None:
            return self._labels.item_label(int(item))
        ids = self.item_ids
        return ids[int(item)] if ids is not None else str(int(item))

    def _user(self, userid, argument="userid"):
        if isinstance(userid, str):
            if self.user_ids is None:
                raise KeyError(f"{argument}: unknown user id '{userid}' (a model fitted on a matrix knows row "
                               f"indices only)")
            return self._m.user_index(userid)
        if isinstance(userid, (int, np.integer)):
            return int(userid)
        raise TypeError(f"{argument}: expected a user index, a string id or an array of them, got {type(userid).__name__}")

    def _item(self, itemid, argument="itemid"):
        if isinstance(itemid, str):
            if self.item_ids is None:
                raise KeyError(f"{argument}: unknown item id '{itemid}' (a model fitted on a matrix knows column "
                               f"indices only)")
            return self._m.item_index(itemid)
        if isinstance(itemid, (int, np.integer)):
            if not 0 <= itemid < self.n_items:
                raise ValueError(f"{argument}: item index {int(itemid)} out of range [0, {self.n_items})")
            return int(itemid)
        raise TypeError(f"{argument}: expected an item index or a string id, got {type(itemid).__name__}")

    def _users(self, userids):
        array = np.asarray(userids)
        if array.ndim != 1:
            raise ValueError(f"userid: expected one id or a 1-D array of ids, got shape {array.shape}")
        if array.dtype.kind in "USO":
            return np.fromiter((self._user(str(u)) for u in array), dtype=np.int32, count=len(array))
        if array.dtype.kind not in "iu":
            raise TypeError(f"userid: expected integer user indices or string ids, got dtype {array.dtype}")
        if len(array) and (array.min() < 0 or array.max() >= max(self.n_users, 1)):
            bad = array[(array < 0) | (array >= self.n_users)][0]
            raise ValueError(f"userid: user index {int(bad)} out of range [0, {self.n_users})")
        return np.ascontiguousarray(array, dtype=np.int32)

    def _item_array(self, items, argument):
        array = np.asarray(items)
        if array.ndim == 0:
            array = array.reshape(1)
        if array.dtype.kind in "USO":
            return np.fromiter((self._m.item_index(str(i)) for i in array), dtype=np.int32, count=len(array))
        if array.dtype.kind not in "iu":
            raise TypeError(f"{argument}: expected item indices or string ids, got dtype {array.dtype}")
        if len(array) and (array.min() < 0 or array.max() >= self.n_items):
            raise ValueError(f"{argument}: item index out of range [0, {self.n_items})")
        return np.ascontiguousarray(array, dtype=np.int32)

    # ---- recommending
    def recommend(self, userid, user_items=None, N=10, filter_already_liked_items=True, filter_items=None,
                  recalculate_user=False, items=None, *, n=None, threads=None):
        """Top-N items as (ids, scores) numpy arrays, best first, like implicit 0.7.

        userid: a user index or string id -> 1-D arrays (as long as the list);
        an array of them -> (len(userid), N) arrays, short rows padded with id -1
        and score -inf. user_items: the users' rows (user_items[userid]) whose
        items are filtered out; None: the model's training rows. filter_items:
        item ids never recommended to anyone; items: rank only these item ids. recalculate_user: score from user_items' rows (fold-in)
        instead of the trained user. The GIL is released for a batch."""
        if n is not None:
            N = n
        N = int(N)
        if N <= 0:
            raise ValueError(f"N: must be at least 1, got {N}")
        batch = not isinstance(userid, (str, int, np.integer))
        if not batch and user_items is None and items is None and filter_items is None and not recalculate_user:
            return self._m.recommend_one(self._user(userid), N, bool(filter_already_liked_items))  # the fast path
        if (not batch and items is None and filter_items is None and not recalculate_user and filter_already_liked_items
                and type(user_items) is _CSR and user_items.shape[0] == 1 and user_items.has_sorted_indices
                and user_items.shape[1] == self.n_items):
            # implicit's single call, recommend(u, user_items[u]): the row's items excluded, no batch machinery
            return self._m.recommend_one_excluding(self._user(userid), N, np.ascontiguousarray(user_items.indices, dtype=np.int32))
        users = self._users(userid) if batch else np.array([self._user(userid)], dtype=np.int32)
        rows = None
        if user_items is not None:
            rows = _as_csr(user_items, "user_items")
            if not batch and rows.shape[0] == self.n_users and rows.shape[0] != 1:
                rows = rows[users]  # the whole matrix given for one user
            if rows.shape[0] != len(users):
                raise ValueError(f"user_items: {rows.shape[0]} rows for {len(users)} users (pass user_items[userids])")
            if rows.shape[1] != self.n_items:
                raise ValueError(f"user_items: {rows.shape[1]} columns, but the model has {self.n_items} items")
        elif recalculate_user:
            raise ValueError("recalculate_user: needs user_items (the rows to fold in)")
        allowed = None if items is None else np.unique(self._item_array(items, "items"))
        if recalculate_user:
            if filter_items is not None:
                raise ValueError("filter_items: not with recalculate_user (use items= to choose the items to rank)")
            ids, scores = self._fold_in_rows(rows, N, bool(filter_already_liked_items), allowed)
        else:
            indptr = indices = None
            if rows is not None:
                indptr, indices, _ = _csr_arrays(rows)
            exclude = bool(filter_already_liked_items)
            if filter_items is not None:
                indptr, indices = self._exclusions(users, indptr, indices, exclude, filter_items)
                exclude = True
            ids, scores = self._m.recommend_batch(users, N, exclude, indptr, indices, allowed, threads)
        if batch:
            return ids, scores
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def _exclusions(self, users, indptr, indices, liked, filter_items):
        """Each user's excluded items: the liked ones (user_items' rows, or the
        training rows) when `liked`, plus filter_items, as sorted CSR rows."""
        import scipy.sparse

        extra = np.unique(self._item_array(filter_items, "filter_items"))
        shape = (len(users), self.n_items)
        if not liked:
            indptr, indices = np.zeros(len(users) + 1, np.int64), np.zeros(0, np.int32)
        elif indptr is None:
            indptr, indices = self._m.history_rows(users)
        base = scipy.sparse.csr_matrix((np.ones(len(indices), np.float32), indices, indptr), shape=shape)
        added = scipy.sparse.csr_matrix((np.ones(len(users) * len(extra), np.float32), np.tile(extra, len(users)),
                                         np.arange(len(users) + 1, dtype=np.int64) * len(extra)), shape=shape)
        both = (base + added).tocsr()
        both.sum_duplicates()
        return _csr_arrays(both)[:2]

    def _fold_in_rows(self, rows, N, exclude, allowed):
        width = min(N, self.n_items if allowed is None else len(allowed))
        ids = np.full((rows.shape[0], width), -1, dtype=np.int32)
        scores = np.full((rows.shape[0], width), -np.inf, dtype=np.float32)
        for r in range(rows.shape[0]):
            start, end = rows.indptr[r], rows.indptr[r + 1]
            hist = np.ascontiguousarray(rows.indices[start:end], dtype=np.int32)
            weights = np.ascontiguousarray(rows.data[start:end], dtype=np.float32)
            if allowed is None:
                i, s = self._m.recommend_from_history(hist, weights, width, exclude)
            else:  # the whole row, then the allowed items
                i, s = self._m.recommend_from_history(hist, weights, self.n_items, exclude)
                mask = np.isin(i, allowed)
                i, s = i[mask][:width], s[mask][:width]
            ids[r, :len(i)], scores[r, :len(s)] = i, s
        return ids, scores

    def recommend_from_history(self, items, weights=None, N=10, *, n=None, exclude_history=True):
        """Top-N for a listener the model has not seen, from items they played
        (indices or string ids) with optional weights (fold-in)."""
        if n is not None:
            N = n
        history = self._item_array(items, "items")
        if weights is not None:
            weights = np.ascontiguousarray(weights, dtype=np.float32)
            if weights.shape != history.shape:
                raise ValueError(f"weights: {weights.shape[0] if weights.ndim else 1} weights for {len(history)} items")
            if not np.isfinite(weights).all():
                raise ValueError("weights: NaN or infinite weight")
        return self._m.recommend_from_history(history, weights, int(N), bool(exclude_history))

    def similar_items(self, itemid, N=10, *, n=None):
        """Items most like `itemid` (itself excluded) as (ids, scores); an array
        of items gives (len(itemid), N) arrays padded with -1 / -inf."""
        if n is not None:
            N = n
        if isinstance(itemid, (str, int, np.integer)):
            return self._m.similar_items(self._item(itemid), int(N))
        items = self._item_array(itemid, "itemid")
        width = min(int(N), max(self.n_items - 1, 0))
        ids = np.full((len(items), width), -1, dtype=np.int32)
        scores = np.full((len(items), width), -np.inf, dtype=np.float32)
        for r, item in enumerate(items):
            i, s = self._m.similar_items(int(item), int(N))
            ids[r, :len(i)], scores[r, :len(s)] = i[:width], s[:width]
        return ids, scores

    def explain(self, userid, itemid):
        """Why `itemid` scores high for `userid`: {'user', 'item', 'score',
        'contributions': [(item index, share)], 'labels': [...], 'note'}."""
        score, contributions, note = self._m.explain(self._user(userid), self._item(itemid))
        return {"user": self._user(userid), "item": self._item(itemid), "score": score,
                "contributions": contributions,
                "labels": [self.item_label(item) for item, _ in contributions], "note": note}

    def score_users(self, userids):
        """The models' whole score rows for these users: (len(userids), n_items) float32."""
        return self._m.score_users(self._users(np.atleast_1d(userids)))

    # ---- vectors
    @property
    def item_factors(self):
        """The item vectors (n_items × dim, read-only view into the model) of
        models whose scores are inner products (ials, bpr, hybrid, ...); an item
        bias, when the model has one, is the last column. None otherwise."""
        view = self._m.item_vectors()
        if view is not None:
            view.flags.writeable = False
        return view

    @property
    def user_factors(self):
        """The users' query vectors (n_users × dim, a copy) matching item_factors, or None."""
        return self._m.user_vectors()

    # ---- files
    def save(self, path):
        """Writes the model file (the same format as `segue train --out`)."""
        self._m.save(os.fspath(path))


def load(path):
    """A model file written by `segue train` or Model.save."""
    return Model(_segue.load_model(os.fspath(path)))
