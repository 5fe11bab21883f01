#!/usr/bin/env python3
"""RecBole 1.2 (PyTorch, CPU) reference: seconds per training epoch, and optionally test quality, on segue's split.

usage: PYTHONPATH=$(../shared/peers/build_recbole.sh | tail -1) /usr/bin/python3 bench/recbole_epochs.py
           [--split /tmp/cmp-lastfm/split] [--models BPR,LightGCN,MultiVAE,NeuMF] [--epochs 3]
           [--threads 2] [--eval] [--converge] [--valid-frac 0.1] [--max-minutes M] [--out /tmp/rb/out]

Protocol (issue 6): segue's split of Last.fm HetRec 2k play counts (users with >= 5 artists, random 20% of
each user's artists to test, seed 42; `segue split` writes SPLIT/{train,test}.csv). The split is converted
to RecBole's benchmark files (`benchmark_filename: [train, valid, test]`, user/item tokens only), so RecBole
trains on train.csv and is tested on test.csv; RecBole defaults otherwise (embedding 64, train batch 2048,
Adam 1e-3, one uniform negative per positive), torch.set_num_threads(THREADS).

Speed (default): train = all of train.csv; valid = a copy of 100 train rows that is never evaluated; each
model trains --epochs epochs with no validation. Seconds per epoch are the wall time of the trainer's
_train_epoch (the span RecBole logs as "epoch N training [time: ...]", negative sampling included), with
the 1-minute load average read before each epoch, since the machine may be shared. --eval adds one
full-ranking test evaluation at the end.

Quality (--converge): a --valid-frac carve of each user's train artists (seed 42; users with >= 5 train
artists) is held out of training as valid; RecBole trains up to --epochs (default 300 here) with its
early stopping on valid (MRR@10, stopping_step 10), then the best-valid model is tested on test.csv with
full ranking (train and valid items masked). --max-minutes cuts training short and tests the best so far.
Metrics are RecBole's (Recall@k = hits / |test items|, as segue's recall@k). eval_batch_size is raised
from 4096 to 4e6 in both modes: full ranking scores eval_batch_size // n_items users per batch, and
4096 // 17.6k items = 1 user per batch made one MultiVAE evaluation take 300 s; metrics are unchanged.

RecBole's MultiVAE epoch is one pass over the users, as segue's: RecBole 1.2's get_dataloader gives
MultiVAE/MultiDAE the UserDataLoader (recbole/data/utils.py, register_table -> _get_AE_dataloader), whose
batches are train_batch_size user ids; each user's row is densified from the rating matrix.

Threads: OMP_WAIT_POLICY defaults to PASSIVE here (set it in the environment to override). With GNU
OpenMP's default spin-waiting, 2 threads on a 2-core machine shared with other busy jobs made every
parallel op ~30x slower (a 1.1M-float add_ went from 0.6 ms to 20 ms), so epoch times measured the load,
not RecBole; passive waiting keeps them near the single-thread cost. Compare with segue under the same
policy.

Prints a markdown table and writes results-{speed,converge}.json to --out.
"""
import argparse
import csv
import json
import logging
import os
import random
import statistics
import sys
import time

DATA_NAME = "lastfm"


class OutOfTime(Exception):
    pass


def write_inter(path, rows):
    with open(path, "w") as f:
        f.write("user_id:token\titem_id:token\n")
        f.writelines(f"{u}\t{i}\n" for u, i in rows)


def read_pairs(path):
    with open(path, newline="") as f:
        return [(r["user_id"], r["item_id"]) for r in csv.DictReader(f)]


def convert(split, data_dir, valid_frac, seed=42):
    """Writes DATA_NAME.{train,valid,test}.inter under data_dir; returns row counts."""
    train, test = read_pairs(os.path.join(split, "train.csv")), read_pairs(os.path.join(split, "test.csv"))
    if valid_frac > 0:  # held-out carve of train for early stopping
        by_user = {}
        for u, i in train:
            by_user.setdefault(u, []).append(i)
        rng, fit, valid = random.Random(seed), [], []
        for u, items in by_user.items():
            items = sorted(items)
            rng.shuffle(items)
            k = max(1, round(valid_frac * len(items))) if len(items) >= 5 else 0
            valid += [(u, i) for i in items[:k]]
            fit += [(u, i) for i in items[k:]]
    else:  # train on all of train.csv; valid is a placeholder RecBole needs but never evaluates
        fit, valid = train, train[:100]
    d = os.path.join(data_dir, DATA_NAME)
    os.makedirs(d, exist_ok=True)
    for name, rows in (("train", fit), ("valid", valid), ("test", test)):
        write_inter(os.path.join(d, f"{DATA_NAME}.{name}.inter"), rows)
    return {"train": len(fit), "valid": len(valid), "test": len(test)}


def run_model(name, args, data_dir):
    import torch
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.utils import get_model, get_trainer, init_seed

    config = Config(model=name, dataset=DATA_NAME, config_dict={
        "data_path": data_dir, "benchmark_filename": ["train", "valid", "test"],
        "load_col": {"inter": ["user_id", "item_id"]}, "use_gpu": False, "epochs": args.epochs,
        "metrics": ["Recall", "MRR", "NDCG", "Hit", "Precision"], "topk": [10, 20],
        "eval_batch_size": 4_000_000,  # full ranking scores eval_batch_size // n_items users per batch: ~220 here
        "checkpoint_dir": os.path.join(args.work, "saved"), "show_progress": False, "log_wandb": False,
    })
    init_seed(config["seed"], config["reproducibility"])
    torch.set_num_threads(args.threads)
    dataset = create_dataset(config)
    train_data, valid_data, test_data = data_preparation(config, dataset)
    init_seed(config["seed"] + config["local_rank"], config["reproducibility"])
    model = get_model(config["model"])(config, train_data._dataset).to(config["device"])
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)

    epochs = []  # (seconds, load1 before the epoch)
    inner = trainer._train_epoch

    def timed(*a, **k):
        if args.max_minutes and time.perf_counter() - start > 60 * args.max_minutes:
            raise OutOfTime
        load, t0 = os.getloadavg()[0], time.perf_counter()
        out = inner(*a, **k)
        epochs.append((time.perf_counter() - t0, load))
        print(f"  {name} epoch {len(epochs) - 1}: {epochs[-1][0]:.2f}s (load {load:.2f})", file=sys.stderr, flush=True)
        return out

    trainer._train_epoch = timed
    start, stopped = time.perf_counter(), "epochs"
    try:
        trainer.fit(train_data, valid_data if args.converge else None, saved=args.converge, verbose=args.verbose)
        if args.converge and len(epochs) < args.epochs:
            stopped = "early stopping"
    except OutOfTime:
        stopped = f"--max-minutes {args.max_minutes}"
    fit_s = time.perf_counter() - start
    result = None
    if args.eval or args.converge:
        result = {k: round(float(v), 4) for k, v in trainer.evaluate(test_data, load_best_model=args.converge).items()}
    secs = [s for s, _ in epochs]
    fastest = min(range(len(secs)), key=secs.__getitem__)
    return {
        "model": name, "threads": torch.get_num_threads(), "epochs_run": len(secs), "stopped": stopped,
        "best_epoch": len(secs) - 1 - trainer.cur_step if args.converge else None, "fit_s": round(fit_s, 2),
        "fastest_s": round(secs[fastest], 3), "fastest_load1": round(epochs[fastest][1], 2),
        "median_s": round(statistics.median(secs), 3),
        "median_load1": round(statistics.median(l for _, l in epochs), 2),
        "epoch_s": [round(s, 3) for s in secs], "load1": [round(l, 2) for _, l in epochs],
        "best_valid": {k: round(float(v), 4) for k, v in (trainer.best_valid_result or {}).items()} or None,
        "test": result, "users": dataset.user_num - 1, "items": dataset.item_num - 1,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", default="/tmp/cmp-lastfm/split", help="dir with segue's train.csv and test.csv")
    ap.add_argument("--models", default="BPR,LightGCN,MultiVAE,NeuMF")
    ap.add_argument("--epochs", type=int, help="training epochs (default 3; 300 with --converge)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval", action="store_true", help="full-ranking test evaluation after the timed epochs")
    ap.add_argument("--converge", action="store_true", help="early stopping on a valid carve, then test")
    ap.add_argument("--valid-frac", type=float, default=0.1, help="--converge: share of each user's train to valid")
    ap.add_argument("--max-minutes", type=float, help="stop training after this long (then test the best so far)")
    ap.add_argument("--work", default="/tmp/rb", help="scratch dir (data, RecBole logs, checkpoints)")
    ap.add_argument("--out", default="/tmp/rb/out")
    ap.add_argument("--verbose", action="store_true", help="show RecBole's own log")
    args = ap.parse_args()
    args.epochs = args.epochs or (300 if args.converge else 3)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read when torch loads; see the docstring
    sys.argv = sys.argv[:1]  # RecBole's Config parses --key=value from the command line
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)
    data_dir = os.path.join(args.work, "data-converge" if args.converge else "data")
    counts = convert(args.split, data_dir, args.valid_frac if args.converge else 0)
    os.makedirs(args.work, exist_ok=True)
    os.chdir(args.work)  # RecBole writes ./log_tensorboard etc. relative to the working dir

    rows = []
    for name in args.models.split(","):
        print(f"{name} ...", file=sys.stderr, flush=True)
        rows.append(run_model(name, args, data_dir))
    mode = "converge" if args.converge else "speed"
    print(f"\nRecBole 1.2, CPU, {args.threads} threads, {mode}; rows train/valid/test = "
          f"{counts['train']}/{counts['valid']}/{counts['test']}\n")
    print("| model | epochs | s/epoch fastest (load) | s/epoch median (load) | NDCG@10 | Recall@20 | MRR@10 |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        t = r["test"] or {}
        q = [f"{t[k]:.4f}" if k in t else "-" for k in ("ndcg@10", "recall@20", "mrr@10")]
        print(f"| {r['model']} | {r['epochs_run']} | {r['fastest_s']:.2f} ({r['fastest_load1']:.2f}) | "
              f"{r['median_s']:.2f} ({r['median_load1']:.2f}) | " + " | ".join(q) + " |")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, f"results-{mode}.json"), "w") as f:
        json.dump({"mode": mode, "split": args.split, "threads": args.threads, "epochs": args.epochs,
                   "omp_wait_policy": os.environ["OMP_WAIT_POLICY"],
                   "rows": counts, "results": rows}, f, indent=1)


if __name__ == "__main__":
    main()
