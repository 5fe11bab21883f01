"""segue: music recommendation in C++20, from Python.

    import segue
    data = segue.Dataset.from_store("lastfm-store")
    train, test = segue.split(data, method="random", seed=42)
    model = segue.Model("ials:factors=128,alpha=4").fit(train)
    ids, scores = model.recommend("2", n=10)
    table, per_user = segue.evaluate(["ease", "ials"], train, test)

A thin layer over the `_segue` extension (pybind11 over segue's C++ library):
the same registry, spec strings, model files and evaluator as the `segue`
command. See docs/PYTHON.md.
"""

from . import _segue
from ._data import Dataset, import_, split
from ._eval import evaluate
from ._model import Model, load
from . import models

InputError = _segue.InputError
__version__ = "0.1.0"


def set_threads(threads):
    """Sizes segue's process thread pool (threads <= 0: all cores). Call it
    before fitting or evaluating; `threads=` of a call uses a pool of its own."""
    _segue.set_threads(int(threads))


def model_names():
    """The registered model names (deep models included when segue was built with libtorch)."""
    names = {info["name"] for info in _segue.model_infos()}
    names.update(name for name, _ in _segue.deep_model_names())
    return sorted(names)


__all__ = ["Dataset", "Model", "InputError", "evaluate", "import_", "load", "model_names", "models", "set_threads",
           "split"]
