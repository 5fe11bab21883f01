#!/usr/bin/env python3
"""Reads the eval JSONs that bench/defaults/run.sh wrote and prints the Markdown table of docs/MODELS.md
"Defaults": per (dataset, model) the default spec against the validation-chosen one, NDCG@10 on the validation
carve (carved from train.csv) and on the test split (measured once), and their ratio."""
import csv
import json
import os
import re
import sys


def spec_file(spec):
    """The result name of a spec, as run.sh's spec_file."""
    return re.sub(r"[^A-Za-z0-9._=-]", "_", spec)


def ndcg(path, label):
    if not os.path.exists(path):
        return None
    results = json.load(open(path))["results"]  # one model per file
    return results[0]["metrics"]["ndcg@10"] if results else None


def main():
    out, specs = sys.argv[1], sys.argv[2]
    print("| dataset | model | default spec | tuned spec (validation) | val NDCG@10 default | val tuned | ratio | "
          "test default | test tuned | > 5% below? |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    with open(specs) as f:
        for row in csv.reader((l for l in f if l.strip() and not l.startswith("#")), delimiter="\t"):
            data, model, default, tuned = row[:4]
            path = lambda part, spec: f"{out}/{data}-{part}-{spec_file(spec)}.json"
            vd, vt = ndcg(path("val", default), default), ndcg(path("val", tuned), tuned)
            td, tt = ndcg(path("test", default), default), ndcg(path("test", tuned), tuned)
            fmt = lambda v: "–" if v is None else f"{v:.4f}"
            ratio = f"{vd / vt:.3f}" if vd is not None and vt else "–"
            bad = "–" if ratio == "–" else ("**yes**" if vd < 0.95 * vt else "no")
            print(f"| {data} | {model} | `{default}` | `{tuned}` | {fmt(vd)} | {fmt(vt)} | {ratio} | {fmt(td)} | "
                  f"{fmt(tt)} | {bad} |")


if __name__ == "__main__":
    main()
