#!/usr/bin/env python3
"""segue and its peers side by side on one split, measured with one ruler.

usage: bench/compare_peers.py [--data lastfm|mpd] [--out DIR] [--threads 2]
                              [--segue SPEC ...] [--peers als,bpr,itemknn,lightfm,ease]
                              [--peer-python PATH]

Every model — segue's (`segue train`, then `segue recommend --all`) and the
peers' (bench/peers.py on implicit 0.7.2, LightFM 1.17, numpy EASE) — writes
its top-20 lists for every user to a recs file; `segue eval --recs` then
measures all of them the same way (full ranking, training items excluded,
bootstrap CIs). Fit and recommend-all seconds come from each tool's own timer;
peak RSS is the fitting process's (os.wait4). Prints a markdown table and
writes it with the raw JSON to DIR.

Data: lastfm = the issue's protocol (Last.fm HetRec 2k play counts, users with
>= 5 artists, random 20% of each user's artists to test, seed 42); mpd =
mpd-subset playlists as users, random 20% of each playlist's tracks.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
DEFAULT_SEGUE = ["pop", "itemknn", "userknn", "rp3beta", "ease", "ials", "bpr"]


class Failed(Exception):
    pass


def run(cmd, **kw):
    """Runs cmd, returns (stdout+stderr text, seconds, peak RSS MiB of that process); Failed on a non-zero exit."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise Failed(out.strip().splitlines()[-1] if out.strip() else f"exit {code}")
    return out, seconds, usage.ru_maxrss / 1024.0


def prepare(segue, data, out):
    store, split = os.path.join(out, "store"), os.path.join(out, "split")
    if not os.path.exists(os.path.join(split, "test.csv")):
        if data == "lastfm":
            run([segue, "import", "--format", "lastfm", "--input", os.path.join(SHARED, "data", "lastfm-hetrec-2k"),
                 "--out", store, "--kcore-users", "5"])
        else:
            run([segue, "import", "--format", "mpd", "--input", os.path.join(SHARED, "data", "mpd-subset"),
                 "--out", store])
        run([segue, "split", store, "--method", "random", "--seed", "42", "--out", split])
    return os.path.join(split, "train.csv"), os.path.join(split, "test.csv")


def measure(segue, train, test, recs, threads):
    path = recs + ".eval.json"
    run([segue, "eval", "--train", train, "--test", test, "--recs", recs, "--threads", str(threads),
         "--metrics", "ndcg@10,recall@20,map@10,coverage@10", "--json", path])
    with open(path) as f:
        result = json.load(f)["results"][0]
    return result["metrics"], result.get("ci95", {}), result["users_evaluated"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", choices=["lastfm", "mpd"], default="lastfm")
    p.add_argument("--out", default=None)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--segue", action="append", default=None, help="segue spec (repeatable)")
    p.add_argument("--peers", default="als,bpr,itemknn,lightfm,ease")
    p.add_argument("--peer-python", default=None)
    p.add_argument("--peer-args", default="", help="extra arguments for every peers.py call")
    a = p.parse_args()
    out = a.out or f"/tmp/segue-compare-{a.data}"
    os.makedirs(out, exist_ok=True)
    segue = os.path.join(ROOT, "build", "segue")
    if not os.access(segue, os.X_OK):
        sys.exit("build segue first: cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release && ninja -C build segue")
    peer_python = a.peer_python
    if a.peers and not peer_python:
        peer_python = subprocess.run(["bash", os.path.join(SHARED, "peers", "build.sh")], capture_output=True,
                                     text=True, check=True).stdout.strip().splitlines()[-1]
    train, test = prepare(segue, a.data, out)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS=str(a.threads))

    rows = []
    for spec in a.segue or DEFAULT_SEGUE:
        name = re.sub(r"[^A-Za-z0-9_.=-]", "_", spec)
        model, recs = os.path.join(out, name + ".model"), os.path.join(out, name + ".recs.csv")
        try:
            text, _, rss = run([segue, "train", "--train", train, "--model", spec, "--out", model,
                                "--threads", str(a.threads)], env=env)
        except Failed as error:  # e.g. ease over its memory limit: the message goes in the table
            rows.append({"tool": "segue", "model": spec, "error": str(error)})
            print(f"segue {spec}: {error}", file=sys.stderr)
            continue
        fit = float(re.search(r"pairs in ([0-9.]+) s", text).group(1))
        canonical = re.search(r"trained (\S+) on", text).group(1)
        text, _, _ = run([segue, "recommend", "--model", model, "--all", "--n", "20", "--out", recs,
                          "--threads", str(a.threads)], env=env)
        rec = float(re.search(r"users in ([0-9.]+) s", text).group(1))
        metrics, ci, users = measure(segue, train, test, recs, a.threads)
        rows.append({"tool": "segue", "model": canonical, "fit_seconds": fit, "recommend_seconds": rec,
                     "peak_rss_mb": rss, "metrics": metrics, "ci95": ci, "users": users})
        print(f"segue {canonical}: ndcg@10 {metrics['ndcg@10']:.4f} fit {fit:.2f} s", file=sys.stderr)

    for peer in [x for x in a.peers.split(",") if x]:
        recs = os.path.join(out, "peer-" + peer + ".recs.csv")
        # implicit and LightFM thread themselves (implicit warns when BLAS threads too); numpy's
        # EASE inverse gets its threads from OpenBLAS.
        peer_env = dict(env, OPENBLAS_NUM_THREADS=str(a.threads)) if peer == "ease" else env
        text, _, rss = run([peer_python, os.path.join(ROOT, "bench", "peers.py"), peer, train, test, recs,
                            "--threads", str(a.threads)] + a.peer_args.split(), env=peer_env)
        info = json.loads(text.strip().splitlines()[-1])
        metrics, ci, users = measure(segue, train, test, recs, a.threads)
        rows.append({"tool": "implicit" if peer in ("als", "bpr", "itemknn") else ("lightfm" if peer == "lightfm" else "numpy"),
                     "model": peer + " " + json.dumps(info["params"], separators=(",", ":")),
                     "fit_seconds": info["fit_seconds"], "recommend_seconds": info["recommend_seconds"],
                     "peak_rss_mb": rss, "metrics": metrics, "ci95": ci, "users": users})
        print(f"{peer}: ndcg@10 {metrics['ndcg@10']:.4f} fit {info['fit_seconds']:.2f} s", file=sys.stderr)

    def cell(row, key):
        value = row["metrics"][key]
        lo_hi = row["ci95"].get(key)
        return f"{value:.4f}" + (f" [{lo_hi[0]:.3f}, {lo_hi[1]:.3f}]" if lo_hi else "")

    lines = [f"data: {a.data} ({train}), {next((r['users'] for r in rows if 'users' in r), 0)} test users, {a.threads} threads, "
             f"full ranking, training items excluded",
             "",
             "| tool | model | NDCG@10 [95% CI] | Recall@20 | MAP@10 | coverage@10 | fit s | recommend all s | fit peak RSS MiB |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['tool']} | `{r['model']}` | {r['error']} | | | | | | |")
            continue
        lines.append(f"| {r['tool']} | `{r['model']}` | {cell(r, 'ndcg@10')} | {cell(r, 'recall@20')} | "
                     f"{r['metrics']['map@10']:.4f} | {r['metrics']['coverage@10']:.4f} | {r['fit_seconds']:.2f} | "
                     f"{r['recommend_seconds']:.2f} | {r['peak_rss_mb']:.0f} |")
    table = "\n".join(lines)
    print(table)
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(table + "\n")
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
