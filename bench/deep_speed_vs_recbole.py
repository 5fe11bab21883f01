#!/usr/bin/env python3
"""Seconds per training epoch, segue's libtorch models against RecBole 1.2, side by side.

usage: bench/deep_speed_vs_recbole.py [--split DIR] [--epochs 3] [--threads 2] [--segue PATH]
                                      [--recbole-path PYTHONPATH] [--rounds 2] [--out DIR]

On one split (DIR/train.csv, e.g. from bench/deep_vs_simple.py --data lastfm), for each pair below, in
rounds (RecBole then segue, back to back, so both see the same machine): RecBole through
bench/recbole_epochs.py (its defaults: embedding 64, batch 2048, Adam 1e-3), segue through
`segue train --model SPEC,epochs=N,validation=0` with the same batch and embedding, seconds read from
its epoch lines. Both run with OMP_WAIT_POLICY=PASSIVE and --threads. The ratio uses each side's
fastest epoch (other jobs only ever slow an epoch down). Needs RecBole unpacked by
../shared/peers/build_recbole.sh (its PYTHONPATH is --recbole-path).
"""
import argparse
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAIRS = [  # RecBole model, segue spec with RecBole's batch size and negatives
    ("LightGCN", "lightgcn:batch_size=2048"),
    ("MultiVAE", "multvae:batch_size=2048"),
    ("NeuMF", "neumf:negatives=1,batch_size=2048"),
]


def recbole_epochs(args, model, env):
    out = os.path.join(args.out, "recbole-" + model)
    cmd = ["/usr/bin/python3", os.path.join(ROOT, "bench", "recbole_epochs.py"), "--split", args.split,
           "--models", model, "--epochs", str(args.epochs), "--threads", str(args.threads), "--out", out]
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(out, "results-speed.json")) as f:
        r = json.load(f)["results"][0]
    return r["fastest_s"], r["median_s"]


def segue_epochs(args, spec, env):
    cmd = [args.segue, "train", "--train", os.path.join(args.split, "train.csv"), "--model",
           f"{spec},epochs={args.epochs},validation=0", "--threads", str(args.threads),
           "--out", os.path.join(args.out, "segue.model")]
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=True)
    seconds = [float(s) for s in re.findall(r"epoch \d+/\d+ .*? ([0-9.]+) s", proc.stdout.replace("\r", "\n"))]
    if not seconds:
        raise RuntimeError("no epoch lines from segue train")
    seconds.sort()
    return seconds[0], seconds[len(seconds) // 2]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="/tmp/segue-deep-lastfm/split")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--segue", default=os.path.join(ROOT, "build", "segue"))
    ap.add_argument("--recbole-path", default="/tmp/segue-peers/recbole-stubs:/tmp/segue-peers/src/RecBole-1.2.0")
    ap.add_argument("--out", default="/tmp/segue-deep-speed")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", PYTHONPATH=args.recbole_path)
    best = {}
    for round_ in range(args.rounds):
        for model, spec in PAIRS:
            rb = recbole_epochs(args, model, env)
            sg = segue_epochs(args, spec, env)
            print(f"round {round_ + 1}: {model}: RecBole {rb[0]:.2f} / {rb[1]:.2f} s, segue {sg[0]:.2f} / {sg[1]:.2f} s",
                  file=sys.stderr)
            old = best.get(model)
            best[model] = (min(rb[0], old[0]) if old else rb[0], max(rb[1], old[1]) if old else rb[1],
                           min(sg[0], old[2]) if old else sg[0], max(sg[1], old[3]) if old else sg[1], spec)
    print(f"| model | RecBole s/epoch fastest (slowest median) | segue spec | segue s/epoch fastest (slowest median)"
          f" | ratio (fastest) | target ≤ 0.67 |")
    print("|---|---|---|---|---|---|")
    for model, (rb_fast, rb_med, sg_fast, sg_med, spec) in best.items():
        ratio = sg_fast / rb_fast
        print(f"| {model} | {rb_fast:.2f} ({rb_med:.2f}) | `{spec}` | {sg_fast:.2f} ({sg_med:.2f}) | {ratio:.2f} | "
              f"{'met' if ratio <= 0.67 else 'not met'} |")


if __name__ == "__main__":
    main()
