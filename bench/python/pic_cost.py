"""What compiling segue_core position-independent (SEGUE_PYTHON=ON: -fPIC
-fno-semantic-interposition) costs the CLI: `segue eval` fit and evaluation
seconds of the same specs with a PIC and a non-PIC build, interleaved runs.
Usage:
  cmake -S . -B build-nopic -DSEGUE_PYTHON=OFF -DSEGUE_TORCH=OFF -DSEGUE_TESTS=OFF -DSEGUE_BENCH=OFF && cmake --build build-nopic --target segue
  python3 bench/python/pic_cost.py --pic build-py/segue --nopic build-nopic/segue"""

import argparse
import json
import os
import statistics
import tempfile

from common import ROOT, header, run


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pic", required=True)
    p.add_argument("--nopic", required=True)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--model", action="append", default=None)
    a = p.parse_args()
    specs = a.model or ["ials:factors=64", "itemknn", "rp3beta"]
    header("segue_core -fPIC vs not: segue eval on Last.fm")
    with tempfile.TemporaryDirectory() as tmp:
        run([a.nopic, "import", "--format", "lastfm", "--input", os.path.join(ROOT, "data/lastfm-hetrec-2k"),
             "--out", f"{tmp}/lastfm", "--kcore-users", "5"])
        run([a.nopic, "split", f"{tmp}/lastfm", "--method", "random", "--seed", "42", "--out", f"{tmp}/split"])
        times = {(b, s, k): [] for b in ("pic", "nopic") for s in specs for k in ("fit_seconds", "eval_seconds")}
        for _ in range(a.repeats):
            for build, binary in (("nopic", a.nopic), ("pic", a.pic)):
                args = [binary, "eval", "--train", f"{tmp}/split/train.csv", "--test", f"{tmp}/split/test.csv",
                        "--bootstrap", "0", "--json", f"{tmp}/out.json"]
                for spec in specs:
                    args += ["--model", spec]
                run(args)
                for spec, result in zip(specs, json.load(open(f"{tmp}/out.json"))["results"]):
                    for key in ("fit_seconds", "eval_seconds"):
                        times[(build, spec, key)].append(result[key])
    print(f"# medians of {a.repeats} interleaved runs")
    print("| model | fit s non-PIC | fit s PIC | eval s non-PIC | eval s PIC |")
    print("|---|---|---|---|---|")
    for spec in specs:
        m = {k: statistics.median(v) for k, v in times.items() if k[1] == spec}
        print(f"| {spec} | {m[('nopic', spec, 'fit_seconds')]:.3f} | {m[('pic', spec, 'fit_seconds')]:.3f} | "
              f"{m[('nopic', spec, 'eval_seconds')]:.3f} | {m[('pic', spec, 'eval_seconds')]:.3f} |")


if __name__ == "__main__":
    main()
