"""Batch recommend for every user of mpd-subset: Python's model.recommend(all
users) vs `segue recommend --all` (its batch time as it prints it, and the
whole command). Usage:
  PYTHONPATH=build-py/python python3 bench/python/batch_vs_cli.py --segue build-py/segue"""

import argparse
import os
import re
import statistics
import tempfile
import time

import numpy as np

import segue

from common import header, run

MPD = "/work/shared/data/mpd-subset"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--segue", required=True)
    p.add_argument("--data", default=MPD)
    p.add_argument("--spec", action="append", default=None)
    p.add_argument("--n", type=int, default=10)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()
    specs = a.spec or ["ials:factors=64", "itemknn"]
    header("batch recommend, every user: Python vs the CLI")
    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "mpd")
        run([a.segue, "import", "--format", "mpd", "--input", a.data, "--out", store])
        print("| model | users | CLI batch s (median; min) | Python batch s (median; min) | Python / CLI (median; min) | "
              "CLI command s | Python load + batch s |")
        print("|---|---|---|---|---|---|---|")
        for spec in specs:
            model_file = os.path.join(tmp, "m.segue")
            run([a.segue, "train", "--data", store, "--model", spec, "--out", model_file])
            cli_batch, cli_total = [], []
            for _ in range(a.repeats):
                start = time.perf_counter()
                out = run([a.segue, "recommend", "--model", model_file, "--all", "--n", str(a.n), "--out",
                           os.path.join(tmp, "recs.csv")])
                cli_total.append(time.perf_counter() - start)
                m = re.search(r"top \d+ for (\d+) users in ([0-9.]+) s", out.stderr)
                cli_users, seconds = int(m.group(1)), float(m.group(2))
                cli_batch.append(seconds)
            py_batch, py_total = [], []
            for _ in range(a.repeats):
                start = time.perf_counter()
                model = segue.load(model_file)
                users = np.arange(model.n_users, dtype=np.int32)
                begin = time.perf_counter()
                ids, scores = model.recommend(users, N=a.n)
                py_batch.append(time.perf_counter() - begin)
                py_total.append(time.perf_counter() - start)
            cb, pb = statistics.median(cli_batch), statistics.median(py_batch)
            cm, pm = min(cli_batch), min(py_batch)
            print(f"| {spec} | {len(users)} (CLI {cli_users}) | {cb:.3f}; {cm:.3f} | {pb:.3f}; {pm:.3f} | "
                  f"{pb / cb:.2f}; {pm / cm:.2f} | "
                  f"{statistics.median(cli_total):.2f} | {statistics.median(py_total):.2f} |")


if __name__ == "__main__":
    main()
