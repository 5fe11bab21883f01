"""Typed shortcuts for every registered model, made from the registry at
import: names, parameters, defaults, ranges and docs come from segue's C++
registry (what `segue models` prints), never from this file.

    segue.models.ItemKNN(k=100, similarity="cosine")  ==  segue.Model("itemknn:k=100,similarity=cosine")

Each class is reachable by the registry's name too (segue.models.itemknn).
"""

import inspect
import keyword

from . import _segue
from ._model import Model

# Spelling of class names only (acronyms); a model missing here is still
# generated, as its name capitalised.
_DISPLAY = {"ials": "IALS", "bpr": "BPR", "ease": "EASE", "itemknn": "ItemKNN", "userknn": "UserKNN",
            "featureknn": "FeatureKNN", "rp3beta": "RP3Beta", "mmr": "MMR", "multvae": "MultVAE",
            "multdae": "MultDAE", "lightgcn": "LightGCN", "neumf": "NeuMF", "sasrec": "SASRec", "gru4rec": "GRU4Rec"}
# implicit's name for implicit ALS.
_ALIASES = {"ials": ["ALS"]}


def python_name(param):
    """A parameter's keyword in Python: a keyword gets a trailing underscore (ease's lambda -> lambda_)."""
    return param + "_" if keyword.iskeyword(param) else param


def _format(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _make_class(name, summary, params):
    """A Model subclass whose keyword arguments are the model's parameters; None
    params (a deep model not loaded yet) take any keyword, checked on creation."""
    if params is not None:
        names = {python_name(p["name"]): p["name"] for p in params}
        signature = inspect.Signature(
            [inspect.Parameter(python_name(p["name"]), inspect.Parameter.KEYWORD_ONLY, default=p["default"])
             for p in params])
        lines = [f"    {python_name(p['name'])} ({p['type']}, default {_format(p['default'])}"
                 f"{', ' + p['range'] if p['range'] else ''}): {p['doc']}" for p in params]
    else:
        names, signature, lines = None, None, ["    parameters: see `segue models` (deep model: loaded on first use)"]

    def __init__(self, **kwargs):
        if names is not None:
            unknown = [k for k in kwargs if k not in names]
            if unknown:
                raise TypeError(f"{name}: unknown parameter '{unknown[0]}' (known: {', '.join(names)})")
        spec = name
        if kwargs:
            spec += ":" + ",".join(f"{names[k] if names else k.rstrip('_')}={_format(v)}" for k, v in kwargs.items())
        Model.__init__(self, spec)

    cls = type(_DISPLAY.get(name, name.capitalize()), (Model,), {
        "__init__": __init__,
        "__doc__": f"{summary}\n\nsegue.Model('{name}:key=value,...'); parameters:\n" + "\n".join(lines),
        "registry_name": name,
        "__module__": __name__,
    })
    if signature is not None:
        cls.__init__.__signature__ = inspect.Signature([inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)]
                                                       + list(signature.parameters.values()))
    return cls


def _generate():
    made = {}
    for info in _segue.model_infos():
        made[info["name"]] = _make_class(info["name"], info["summary"], info["params"])
    for name, summary in _segue.deep_model_names():
        if name not in made:
            made[name] = _make_class(name, summary, None)
    for name, cls in made.items():
        globals()[cls.__name__] = cls
        globals()[name] = cls
        for alias in _ALIASES.get(name, []):
            globals()[alias] = cls
    return made


_CLASSES = _generate()
__all__ = sorted({cls.__name__ for cls in _CLASSES.values()} | set(_CLASSES) |
                 {a for name in _CLASSES for a in _ALIASES.get(name, [])})
