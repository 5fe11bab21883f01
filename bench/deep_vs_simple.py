#!/usr/bin/env python3
"""segue's deep models against its best simple ones, on the same splits, one ruler.

usage: bench/deep_vs_simple.py [--data lastfm|mpd-seq] [--out DIR] [--threads 2]
                               [--model SPEC ...] [--segue PATH] [--bootstrap 1000]

lastfm:  the classic-CF protocol (Last.fm HetRec 2k play counts, users with >= 5
         artists, random 20% of each user's artists to test, seed 42); general
         models (multvae, multdae, lightgcn, neumf) against itemknn, ease, ials.
mpd-seq: mpd-subset playlists as sequences ordered by position, leave-last-out
         (each playlist's last track is the test item, seed 42); next-track
         models (sasrec, gru4rec) against pop, itemknn, rp3beta and ials.

Each model is fitted and measured by one `segue eval` run (full ranking over
all training items, training items excluded, bootstrap 95% CIs). Deep models
stop early on their own validation carve from train.csv (never test.csv); the
table reports the epochs they ran. Inference per user = the eval run's
scoring-and-ranking seconds / users evaluated (ms). Prints a markdown table and
writes it with the raw JSON to DIR.
"""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
# Deep models' settings other than their defaults were chosen on their own validation carve of train.csv
# (validation_ndcg@10, docs/BENCHMARKS.md), never on test.csv. EASE does not fit mpd-subset (142k x 142k floats).
MODELS = {
    "lastfm": ["itemknn", "ease", "ials", "multvae:patience=20,anneal_steps=400,anneal_cap=2", "multdae:patience=20", "lightgcn", "neumf"],
    "mpd-seq": ["pop", "itemknn", "rp3beta", "ials",
                "sasrec:epochs=30,patience=3,batch_size=64,learning_rate=0.003,dropout=0.5",
                "gru4rec:epochs=30,patience=3,batch_size=128,learning_rate=0.003,loss=sampled"],
}
METRICS = {
    "lastfm": ["ndcg@10", "recall@20", "mrr@10"],
    "mpd-seq": ["hit@10", "ndcg@10", "recall@20", "mrr@10"],
}


def run(cmd):
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else f"exit {proc.returncode}"
        raise RuntimeError(f"{' '.join(cmd[:3])}...: {tail}")
    return proc.stdout, time.perf_counter() - start


def prepare(segue, data, out):
    store, split = os.path.join(out, "store"), os.path.join(out, "split")
    if not os.path.exists(os.path.join(split, "test.csv")):
        if data == "lastfm":
            run([segue, "import", "--format", "lastfm", "--input", os.path.join(SHARED, "data", "lastfm-hetrec-2k"),
                 "--out", store, "--kcore-users", "5"])
            run([segue, "split", store, "--method", "random", "--seed", "42", "--out", split])
        else:
            run([segue, "import", "--format", "mpd", "--input", os.path.join(SHARED, "data", "mpd-subset"),
                 "--out", store])
            run([segue, "split", store, "--method", "leave-last", "--seed", "42", "--out", split])
    return os.path.join(split, "train.csv"), os.path.join(split, "test.csv")


def evaluate(segue, train, test, spec, metrics, threads, bootstrap, out):
    json_path = os.path.join(out, spec.replace(":", "_").replace(",", "_").replace("=", "-") + ".json")
    log, _ = run([segue, "eval", "--train", train, "--test", test, "--model", spec, "--metrics", ",".join(metrics),
                  "--threads", str(threads), "--bootstrap", str(bootstrap), "--json", json_path])
    with open(os.path.join(out, os.path.basename(json_path) + ".log"), "w") as f:
        f.write(log)
    with open(json_path) as f:
        return json.load(f)["results"][0]


def cell(result, metric):
    m = result["metrics"].get(metric)
    if m is None:
        return "–"
    mean = m["mean"] if isinstance(m, dict) else m
    ci = result.get("ci95", {}).get(metric)
    return f"{mean:.4f} [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else f"{mean:.4f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", choices=sorted(MODELS), default="lastfm")
    parser.add_argument("--out", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--model", action="append", help="model spec (repeatable); default: the data's list")
    parser.add_argument("--segue", default=os.path.join(ROOT, "build", "segue"))
    args = parser.parse_args()
    out = args.out or f"/tmp/segue-deep-{args.data}"
    os.makedirs(out, exist_ok=True)
    train, test = prepare(args.segue, args.data, out)
    metrics = METRICS[args.data]
    rows = []
    for spec in args.model or MODELS[args.data]:
        try:
            result = evaluate(args.segue, train, test, spec, metrics, args.threads, args.bootstrap, out)
        except RuntimeError as error:
            print(f"{spec}: failed: {error}", file=sys.stderr)
            rows.append((spec, None))
            continue
        rows.append((spec, result))
        print(f"{spec}: done", file=sys.stderr)
    header = ["model"] + [m for m in metrics] + ["fit s", "epochs", "s/epoch", "inference ms/user"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for spec, r in rows:
        if r is None:
            lines.append(f"| {spec} | " + " | ".join(["failed"] * (len(header) - 1)) + " |")
            continue
        users = max(1, r.get("users_evaluated", 1))
        epochs = r.get("epochs")
        per_epoch = r.get("seconds_per_epoch")
        lines.append("| " + " | ".join([r.get("label", spec)] + [cell(r, m) for m in metrics] + [
            f"{r['fit_seconds']:.1f}", f"{epochs:.0f}" if epochs is not None else "–",
            f"{per_epoch:.2f}" if per_epoch is not None else "–", f"{1000 * r['eval_seconds'] / users:.3f}"]) + " |")
    table = "\n".join(lines)
    print(table)
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(table + "\n")


if __name__ == "__main__":
    main()
