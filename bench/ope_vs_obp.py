#!/usr/bin/env python3
"""segue ope against the Open Bandit Pipeline (obp 0.5.5) on the Open Bandit Dataset samples.

usage: PYTHONPATH=$(bash ../shared/peers/build_obp.sh | tail -n1) /usr/bin/python3 bench/ope_vs_obp.py
           [--segue build-ope/segue] [--data ../shared/data/obd] [--out /tmp/ope_vs_obp]
           [--campaign men women] [--draws 100000] [--bootstrap 1000]

For each campaign, BTS's click rate is estimated from the uniform-random logs
(random/CAMPAIGN/CAMPAIGN.csv) and compared with what BTS really got
(mean click of bts/CAMPAIGN/CAMPAIGN.csv), and segue is checked against obp:

1. The validation table: `segue ope --policy bts:prior=prior_bts.yaml,campaign=C`
   (segue's own Monte Carlo distribution and its default click-rate reward
   model): estimate, bootstrap 95% CI, truth, relative error, CI covers truth.
2. BTS distribution: obp's BernoulliTS(is_zozotown_prior=True).compute_batch_action_dist
   against segue's (--write-dist), both with `--draws` draws; every cell's
   difference in units of its Monte Carlo standard error
   sqrt(p(1-p)(1/N + 1/N)); asserts max |z| < 5 (and that segue read the same
   alpha/beta from prior_bts.yaml as obp's bundled prior).
3. Arithmetic: obp's action distribution written as DIST.csv and one q_hat
   table as PRED.csv, fed to both. Two reward models: obp's RegressionModel
   (logistic regression on the one-hot user features and item features, fitted
   on all rounds: contextual, per round) and segue's click-rate model
   recomputed here (per item x position). Asserts |segue - obp| <= 1e-9 for
   IPW/SNIPW and <= 1e-6 for DM/DR/SNDR/Switch-DR.
Prints markdown tables; writes them and the raw JSON to --out.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from obp.ope import (DirectMethod, DoublyRobust, InverseProbabilityWeighting, RegressionModel,
                     SelfNormalizedDoublyRobust, SelfNormalizedInverseProbabilityWeighting, SwitchDoublyRobust)
from obp.policy import BernoulliTS
from obp.policy.contextfree import production_prior_for_bts
from sklearn.linear_model import LogisticRegression

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
ESTIMATORS = ["ipw", "snipw", "dm", "dr", "sndr", "switch-dr"]
TAU = 10.0        # segue's default switch-dr tau, passed to obp as lambda_
PRIOR_M = 100.0   # segue's default --reward-prior


def obp_estimators():
    return {"ipw": InverseProbabilityWeighting(), "snipw": SelfNormalizedInverseProbabilityWeighting(),
            "dm": DirectMethod(), "dr": DoublyRobust(), "sndr": SelfNormalizedDoublyRobust(),
            "switch-dr": SwitchDoublyRobust(lambda_=TAU)}


def run_segue(args, argv):
    cmd = [args.segue, "ope"] + argv
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit("failed: " + " ".join(cmd) + "\n" + result.stdout + result.stderr)
    return result.stdout


def load_log(path):
    """The log in file order (segue's round i = data row i), positions 0-based as obp's loader makes them."""
    data = pd.read_csv(path, index_col=0)
    return {
        "action": data["item_id"].values.astype(int),
        "position": (rankdata(data["position"].values, "dense") - 1).astype(int),
        "reward": data["click"].values.astype(float),
        "pscore": data["propensity_score"].values.astype(float),
        "context": pd.get_dummies(data.loc[:, data.columns.str.contains("user_feature")], drop_first=True).values,
    }


def write_dist(path, dist):
    with open(path, "w") as f:
        f.write("item_id,position,prob\n")
        for item in range(dist.shape[0]):
            for slot in range(dist.shape[1]):
                f.write(f"{item},{slot + 1},{dist[item, slot]!r}\n")


def write_pred(path, q):
    n, n_items, n_slots = q.shape
    rounds = np.repeat(np.arange(n), n_items * n_slots)
    items = np.tile(np.repeat(np.arange(n_items), n_slots), n)
    slots = np.tile(np.arange(n_slots), n * n_items) + 1
    frame = pd.DataFrame({"round": rounds, "item_id": items, "position": slots, "q_hat": q.reshape(-1)})
    frame.to_csv(path, index=False, float_format="%.17g")


def click_rate_model(log, n_items, n_slots, m):
    """segue's default reward model (src/ope/reward_model.h), recomputed."""
    clicks = np.zeros((n_items, n_slots))
    shows = np.zeros((n_items, n_slots))
    np.add.at(clicks, (log["action"], log["position"]), log["reward"])
    np.add.at(shows, (log["action"], log["position"]), 1.0)
    mean = log["reward"].mean()
    return (clicks + m * mean) / (shows + m)


def logistic_model(log, data_dir, campaign, n_items, n_slots):
    """obp's RegressionModel with logistic regression, as in obp's OBD examples."""
    items = pd.read_csv(os.path.join(data_dir, "random", campaign, "item_context.csv"), index_col=0)
    cat = items.drop(columns=["item_id", "item_feature_0"]).apply(lambda c: pd.factorize(c, sort=True)[0])
    action_context = pd.concat([cat, items["item_feature_0"].to_frame()], axis=1).values
    model = RegressionModel(n_actions=n_items, len_list=n_slots, action_context=action_context,
                            base_model=LogisticRegression(max_iter=1000, C=100, random_state=12345))
    model.fit(context=log["context"], action=log["action"], reward=log["reward"], position=log["position"])
    return model.predict(context=log["context"])


def obp_values(log, dist, q):
    n = log["action"].shape[0]
    action_dist = np.tile(dist, (n, 1, 1))
    kwargs = dict(reward=log["reward"], action=log["action"], position=log["position"], pscore=log["pscore"],
                  action_dist=action_dist, estimated_rewards_by_reg_model=q)
    return {name: float(e.estimate_policy_value(**kwargs)) for name, e in obp_estimators().items()}


def compare(args, out, log_path, dist_path, log, dist, q, label):
    pred_path = os.path.join(out, f"pred_{label}.csv")
    write_pred(pred_path, q)
    json_path = os.path.join(out, f"segue_{label}.json")
    run_segue(args, ["--log", log_path, "--policy-dist", dist_path, "--reward-model", pred_path,
                     "--bootstrap", "0", "--json", json_path])
    ours = {k: v["value"] for k, v in json.load(open(json_path))["estimates"].items()}
    theirs = obp_values(log, dist, q)
    if label.endswith("clickrate"):
        # segue's built-in model (no --reward-model) must be the q_hat recomputed above.
        builtin_path = os.path.join(out, f"segue_{label}_builtin.json")
        run_segue(args, ["--log", log_path, "--policy-dist", dist_path, "--bootstrap", "0", "--json", builtin_path])
        builtin = json.load(open(builtin_path))["estimates"]
        for name in ESTIMATORS:
            assert abs(builtin[name]["value"] - ours[name]) <= 1e-12, f"{label} {name}: built-in model differs"
    rows = []
    for name in ESTIMATORS:
        diff = abs(ours[name] - theirs[name])
        tol = 1e-9 if name in ("ipw", "snipw") else 1e-6
        assert diff <= tol, f"{label} {name}: segue {ours[name]!r} obp {theirs[name]!r} differ by {diff:.3g} > {tol}"
        rows.append((label, name, ours[name], theirs[name], diff, tol))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--segue", default=os.path.join(ROOT, "build-ope", "segue"))
    parser.add_argument("--data", default=os.path.join(SHARED, "data", "obd"))
    parser.add_argument("--out", default="/tmp/ope_vs_obp")
    parser.add_argument("--campaign", nargs="+", default=["men", "women"])
    parser.add_argument("--draws", type=int, default=100000)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    prior = os.path.join(args.data, "prior_bts.yaml")
    validation, agreement, mc = [], [], []
    for campaign in args.campaign:
        log_path = os.path.join(args.data, "random", campaign, f"{campaign}.csv")
        clicks = pd.read_csv(os.path.join(args.data, "bts", campaign, f"{campaign}.csv"), index_col=0)["click"]
        truth = float(clicks.mean())
        # The truth is itself a sample of BTS: its binomial standard error.
        truth_half = 1.96 * float(np.sqrt(truth * (1 - truth) / len(clicks)))
        # 1. segue alone: its own BTS distribution and reward model.
        seg_dist_path = os.path.join(args.out, f"dist_segue_{campaign}.csv")
        json_path = os.path.join(args.out, f"segue_bts_{campaign}.json")
        start = time.time()
        run_segue(args, ["--log", log_path, "--policy", f"bts:prior={prior},campaign={campaign},draws={args.draws},seed={args.seed}",
                         "--bootstrap", str(args.bootstrap), "--seed", str(args.seed),
                         "--json", json_path, "--write-dist", seg_dist_path])
        seconds = time.time() - start
        result = json.load(open(json_path))
        for name in ESTIMATORS:
            e = result["estimates"][name]
            lo, hi = e["ci95"]
            validation.append((campaign, name, e["value"], lo, hi, truth, truth_half, abs(e["value"] - truth) / truth, lo <= truth <= hi))
        diag = result["diagnostics"]
        # 2. BTS distribution: segue's Monte Carlo against obp's.
        alpha = production_prior_for_bts[campaign]["alpha"]
        beta = production_prior_for_bts[campaign]["beta"]
        n_items, n_slots = len(alpha), 3
        seg = pd.read_csv(seg_dist_path).pivot(index="item_id", columns="position", values="prob").values
        start_obp = time.time()
        policy = BernoulliTS(n_actions=n_items, len_list=n_slots, is_zozotown_prior=True, campaign=campaign,
                             random_state=12345)
        obp_dist = policy.compute_batch_action_dist(n_rounds=1, n_sim=args.draws)[0]
        obp_seconds = time.time() - start_obp
        pooled = (seg + obp_dist) / 2
        se = np.sqrt(np.maximum(pooled * (1 - pooled), 1e-12) * 2.0 / args.draws)
        z = np.abs(seg - obp_dist) / se
        assert z.max() < 5, f"{campaign}: BTS distributions differ beyond Monte Carlo error (max |z| {z.max():.2f})"
        mc.append((campaign, n_items, float(np.abs(seg - obp_dist).max()), float(z.max()), float(np.mean(z > 1.96)),
                   seconds, obp_seconds, diag["effective_sample_size"], diag["max_weight"], diag["mean_weight"]))
        # 3. Same inputs, both tools.
        log = load_log(log_path)
        obp_dist_path = os.path.join(args.out, f"dist_obp_{campaign}.csv")
        write_dist(obp_dist_path, obp_dist)
        agreement += compare(args, args.out, log_path, obp_dist_path, log, obp_dist,
                             np.tile(click_rate_model(log, n_items, n_slots, PRIOR_M), (len(log["action"]), 1, 1)),
                             f"{campaign}-clickrate")
        agreement += compare(args, args.out, log_path, obp_dist_path, log, obp_dist,
                             logistic_model(log, args.data, campaign, n_items, n_slots), f"{campaign}-logistic")

    lines = ["## BTS's click rate from the random logs (segue ope --policy bts:..., default reward model)", "",
             "| campaign | estimator | estimate | 95% CI | truth (BTS on-policy) ± 95% | rel. error | CI covers truth |",
             "|---|---|---|---|---|---|---|"]
    for c, name, v, lo, hi, truth, half, rel, covered in validation:
        lines.append(f"| {c} | {name} | {v:.5f} | [{lo:.5f}, {hi:.5f}] | {truth:.5f} ± {half:.5f} | {rel:.3f} | {'yes' if covered else 'no'} |")
    lines += ["", "## BTS action distribution: segue's Monte Carlo vs obp's (each with %d draws)" % args.draws, "",
              "| campaign | items | max abs diff | max abs z | share abs z > 1.96 | segue ope s | obp MC s | ESS | max w | mean w |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for c, n, diff, zmax, share, s, so, ess, mw, meanw in mc:
        lines.append(f"| {c} | {n} | {diff:.5f} | {zmax:.2f} | {share:.3f} | {s:.2f} | {so:.2f} | {ess:.0f} | {mw:.2f} | {meanw:.4f} |")
    lines += ["", "## Same action distribution and q_hat in both: |segue - obp|", "",
              "| inputs | estimator | segue | obp | abs diff | tolerance |", "|---|---|---|---|---|---|"]
    for label, name, ours, theirs, diff, tol in agreement:
        lines.append(f"| {label} | {name} | {ours:.12f} | {theirs:.12f} | {diff:.1e} | {tol:g} |")
    text = "\n".join(lines) + "\n"
    print(text)
    with open(os.path.join(args.out, "ope_vs_obp.md"), "w") as f:
        f.write(text)
    print("all checks passed; raw files in", args.out)


if __name__ == "__main__":
    main()
