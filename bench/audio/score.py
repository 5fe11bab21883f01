#!/usr/bin/env python3
"""Scores audio analysers against rendered labels with mir_eval; prints markdown tables.

  score.py --labels WORK/labels --system NAME=CSV[:DETAILS_DIR] [--system ...] [--json OUT]
           [--loudness-ref NAME] [--boot 1000] [--seed 0]

Each system follows segue's contract: CSV with item_id,tempo,loudness_lufs,key,mode (extra columns ignored;
duration_s/cpu_s used for speed when present), DETAILS_DIR/<id>.beats.txt and DETAILS_DIR/<id>.chords.lab.
A NAME may be given several times (e.g. labelled renders + real recordings); its rows are merged.
Items are grouped by the subset in WORK/labels/manifest.csv; items not in it are 'real-unlabelled' (loudness
agreement only). An item a system did not output counts as a miss (tempo wrong, no beats, key 'X', chords
'N'); a capability a system never outputs (no key column values, no chords files) is 'n/a'.
Metrics (all from mir_eval 0.7):
  tempo  Acc1 = mir_eval.tempo.detection(..., tol=0.04) one_correct with reference [T, T], estimate [E, E];
         Acc2 = same, true for any reference T*f, f in {1, 2, 3, 1/2, 1/3}
  beats  mir_eval.beat.evaluate (trims the first 5 s): F-measure, CMLt, AMLt
  key    mir_eval.key.weighted_score, files with a single key segment only (.key label present)
  chords mir_eval.chord root / majmin / mirex, with mir_eval.chord.evaluate's conventions (estimate padded
         /trimmed to the reference span with 'N', mir_eval.util.merge_labeled_intervals), duration-weighted
         over all files of the subset (mir_eval.chord.weighted_accuracy on the concatenation)
  CIs    95% percentile bootstrap over files (--boot resamples)
"""
import argparse
import csv
import json
import math
import os
import sys
import warnings

import numpy as np
import mir_eval

warnings.filterwarnings("ignore")
SUBSET_ORDER = ["pop909", "pop909-var", "generated", "real-unlabelled"]
TEMPO_FACTORS = (1.0, 2.0, 3.0, 0.5, 1.0 / 3.0)


def read_system_csv(path):
    rows = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            rows[r["item_id"]] = r
    return rows


def fnum(x):
    try:
        v = float(x)
        return v if math.isfinite(v) else None
    except (TypeError, ValueError):
        return None


def load_lab(path):
    ints, labs = mir_eval.io.load_labeled_intervals(path, delimiter=r"\s+")
    return ints, labs


def load_beats(path):
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return np.array([])
    return np.array(sorted(float(x) for x in open(path).read().split()))


def tempo_scores(ref, est):
    if est is None or est <= 0:
        return 0.0, 0.0
    det = lambda r: mir_eval.tempo.detection(np.array([r, r]), 0.5, np.array([est, est]), tol=0.04)[1]  # noqa: E731
    return float(det(ref)), float(any(det(ref * f) for f in TEMPO_FACTORS))


def chord_comparisons(ref_path, est_path):
    """Returns {metric: (comparison array, durations)} following mir_eval.chord.evaluate."""
    ref_int, ref_lab = load_lab(ref_path)
    if est_path and os.path.exists(est_path) and os.path.getsize(est_path) > 0:
        est_int, est_lab = load_lab(est_path)
    else:
        est_int, est_lab = np.array([[ref_int.min(), ref_int.max()]]), ["N"]
    est_int, est_lab = mir_eval.util.adjust_intervals(est_int, est_lab, ref_int.min(), ref_int.max(),
                                                      mir_eval.chord.NO_CHORD, mir_eval.chord.NO_CHORD)
    ints, rl, el = mir_eval.util.merge_labeled_intervals(ref_int, ref_lab, est_int, est_lab)
    dur = mir_eval.util.intervals_to_durations(ints)
    return {m: (np.asarray(getattr(mir_eval.chord, m)(rl, el), float), dur) for m in ("root", "majmin", "mirex")}


def boot_ci(values, rng, n_boot, num_den=False):
    """values: list of floats (mean) or list of (num, den) pairs (ratio of sums). Returns (point, lo, hi)."""
    if not values:
        return None
    arr = np.array(values, float)
    if num_den:
        stat = lambda a: a[:, 0].sum() / a[:, 1].sum() if a[:, 1].sum() > 0 else float("nan")  # noqa: E731
    else:
        stat = lambda a: a.mean()  # noqa: E731
    point = stat(arr)
    if len(arr) < 2 or n_boot <= 0:
        return point, point, point
    idx = rng.integers(0, len(arr), size=(n_boot, len(arr)))
    bs = np.array([stat(arr[i]) for i in idx])
    bs = bs[np.isfinite(bs)]
    return point, float(np.percentile(bs, 2.5)), float(np.percentile(bs, 97.5))


def fmt(ci):
    if ci is None:
        return "n/a"
    p, lo, hi = ci
    if not math.isfinite(p):
        return "n/a"
    return f"{p:.3f} [{lo:.2f}, {hi:.2f}]"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--system", action="append", default=[], help="NAME=CSV[:DETAILS_DIR]")
    ap.add_argument("--json")
    ap.add_argument("--loudness-ref", default="ffmpeg")
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    manifest = {}
    mpath = os.path.join(a.labels, "manifest.csv")
    if os.path.exists(mpath):
        with open(mpath, newline="") as f:
            manifest = {r["id"]: r for r in csv.DictReader(f)}

    systems = {}  # name -> {"rows": {id: row}, "details": {id: dir}}
    for spec in a.system:
        name, rest = spec.split("=", 1)
        csv_path, _, det = rest.partition(":")
        s = systems.setdefault(name, {"rows": {}, "details": {}})
        if not os.path.exists(csv_path):
            print(f"score: {name}: {csv_path} missing, skipped", file=sys.stderr)
            continue
        rows = read_system_csv(csv_path)
        s["rows"].update(rows)
        for i in rows:
            s["details"][i] = det or None

    rng = np.random.default_rng(a.seed)
    results = []
    ref_sys = systems.get(a.loudness_ref)
    for name, s in systems.items():
        rows, details = s["rows"], s["details"]
        has_tempo = any(fnum(r.get("tempo")) for r in rows.values())
        has_key = any((r.get("key") or "").strip() for r in rows.values())
        has_beats = any(d and os.path.exists(os.path.join(d, i + ".beats.txt")) for i, d in details.items())
        has_chords = any(d and os.path.exists(os.path.join(d, i + ".chords.lab")) for i, d in details.items())
        has_loud = any(fnum(r.get("loudness_lufs")) is not None for r in rows.values())
        subsets = {}
        for item in set(manifest) | set(rows):
            sub = manifest[item]["subset"] if item in manifest else "real-unlabelled"
            if sub == "real-unlabelled" and item not in rows:
                continue
            subsets.setdefault(sub, []).append(item)
        for sub in sorted(subsets, key=lambda x: (SUBSET_ORDER.index(x) if x in SUBSET_ORDER else 99, x)):
            items = sorted(subsets[sub])
            res = {"system": name, "subset": sub, "n": len(items), "n_output": sum(i in rows for i in items)}
            lab = lambda i, ext: os.path.join(a.labels, i + ext)  # noqa: E731
            if sub != "real-unlabelled":
                acc1, acc2, bf, cmlt, amlt, keys = [], [], [], [], [], []
                chords = {"root": [], "majmin": [], "mirex": []}
                chord_cat = {"root": ([], []), "majmin": ([], []), "mirex": ([], [])}
                for i in items:
                    r = rows.get(i, {})
                    d = details.get(i)
                    if has_tempo and os.path.exists(lab(i, ".tempo")):
                        t1, t2 = tempo_scores(float(open(lab(i, ".tempo")).read()), fnum(r.get("tempo")))
                        acc1.append(t1)
                        acc2.append(t2)
                    if has_beats and os.path.exists(lab(i, ".beats")):
                        ref_b = load_beats(lab(i, ".beats"))
                        est_b = load_beats(os.path.join(d, i + ".beats.txt")) if d else np.array([])
                        sc = mir_eval.beat.evaluate(ref_b, est_b)
                        bf.append(sc["F-measure"])
                        cmlt.append(sc["Correct Metric Level Total"])
                        amlt.append(sc["Any Metric Level Total"])
                    if has_key and os.path.exists(lab(i, ".key")):
                        k, m = (r.get("key") or "").strip(), (r.get("mode") or "").strip()
                        est = f"{k} {m}" if k and m in ("major", "minor") else "X"
                        try:
                            keys.append(mir_eval.key.weighted_score(open(lab(i, ".key")).read().strip(), est))
                        except ValueError:
                            keys.append(0.0)
                    if has_chords and os.path.exists(lab(i, ".chords.lab")):
                        cmp = chord_comparisons(lab(i, ".chords.lab"), os.path.join(d, i + ".chords.lab") if d else None)
                        for met, (c, du) in cmp.items():
                            ok = c >= 0
                            chords[met].append((float((c * du)[ok].sum()), float(du[ok].sum())))
                            chord_cat[met][0].append(c)
                            chord_cat[met][1].append(du)
                res["tempo_acc1"] = boot_ci(acc1, rng, a.boot) if has_tempo else None
                res["tempo_acc2"] = boot_ci(acc2, rng, a.boot) if has_tempo else None
                res["beat_f"] = boot_ci(bf, rng, a.boot) if has_beats else None
                res["beat_cmlt"] = boot_ci(cmlt, rng, a.boot) if has_beats else None
                res["beat_amlt"] = boot_ci(amlt, rng, a.boot) if has_beats else None
                res["key_weighted"] = boot_ci(keys, rng, a.boot) if has_key else None
                res["n_key"] = len(keys) if has_key else sum(os.path.exists(lab(i, ".key")) for i in items)
                for met in chords:
                    if has_chords and chords[met]:
                        ci = boot_ci(chords[met], rng, a.boot, num_den=True)
                        point = mir_eval.chord.weighted_accuracy(np.concatenate(chord_cat[met][0]),
                                                                 np.concatenate(chord_cat[met][1]))
                        res["chord_" + met] = (float(point), ci[1], ci[2])
                    else:
                        res["chord_" + met] = None
                res["chord_hours"] = sum(d for _, d in chords["root"]) / 3600 if has_chords else None
            # loudness agreement with the reference meter
            if has_loud and ref_sys is not None and name != a.loudness_ref:
                diffs = []
                for i in items:
                    e = fnum(rows.get(i, {}).get("loudness_lufs"))
                    rf = fnum(ref_sys["rows"].get(i, {}).get("loudness_lufs"))
                    if e is not None and rf is not None:
                        diffs.append(e - rf)
                if diffs:
                    dd = np.array(diffs)
                    res["loud_n"] = len(diffs)
                    res["loud_mean_diff"] = boot_ci(list(dd), rng, a.boot)
                    res["loud_mae"] = boot_ci(list(np.abs(dd)), rng, a.boot)
                    res["loud_within_1lu"] = float(np.mean(np.abs(dd) <= 1.0))
            # speed from per-file columns
            dur = [fnum(rows[i].get("duration_s")) for i in items if i in rows]
            cpu = [fnum(rows[i].get("cpu_s")) for i in items if i in rows]
            if dur and all(x is not None for x in dur + cpu) and sum(cpu) > 0:
                res["audio_s"] = sum(dur)
                res["cpu_s"] = sum(cpu)
                res["x_realtime_per_core"] = sum(dur) / sum(cpu)
            results.append(res)

    print("### Tempo and beats (mir_eval; 95% bootstrap CI over files)\n")
    print("| system | subset | files (output) | tempo Acc1 | tempo Acc2 | beat F | CMLt | AMLt |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        if r["subset"] != "real-unlabelled" and name_has(r, ("tempo_acc1", "beat_f")):
            print(f"| {r['system']} | {r['subset']} | {r['n']} ({r['n_output']}) | {fmt(r['tempo_acc1'])} | "
                  f"{fmt(r['tempo_acc2'])} | {fmt(r['beat_f'])} | {fmt(r['beat_cmlt'])} | {fmt(r['beat_amlt'])} |")
    print("\n### Key and chords (key: single-key files only; chords: duration-weighted over all files)\n")
    print("| system | subset | key files | key weighted | chord files (h) | root | majmin | mirex |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        if r["subset"] != "real-unlabelled" and name_has(r, ("key_weighted", "chord_root")):
            h = f"{r['n']} ({r['chord_hours']:.2f} h)" if r.get("chord_hours") is not None else "n/a"
            print(f"| {r['system']} | {r['subset']} | {r['n_key']} | {fmt(r['key_weighted'])} | {h} | "
                  f"{fmt(r['chord_root'])} | {fmt(r['chord_majmin'])} | {fmt(r['chord_mirex'])} |")
    loud = [r for r in results if "loud_n" in r]
    if loud:
        print(f"\n### Loudness vs {a.loudness_ref} (integrated LUFS; difference = system - {a.loudness_ref})\n")
        print("| system | subset | files | mean diff (LU) | mean abs diff (LU) | within 1 LU |")
        print("|---|---|---|---|---|---|")
        for r in loud:
            print(f"| {r['system']} | {r['subset']} | {r['loud_n']} | {fmt(r['loud_mean_diff'])} | {fmt(r['loud_mae'])} | "
                  f"{r['loud_within_1lu']:.2f} |")
    speed = [r for r in results if "x_realtime_per_core" in r]
    if speed:
        print("\n### Per-file analysis speed from the systems' own cpu_s column (audio s / CPU s)\n")
        print("| system | subset | audio (s) | CPU (s) | x real time per core |")
        print("|---|---|---|---|---|")
        for r in speed:
            print(f"| {r['system']} | {r['subset']} | {r['audio_s']:.0f} | {r['cpu_s']:.1f} | {r['x_realtime_per_core']:.1f} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


def name_has(r, keys):
    return any(r.get(k) is not None for k in keys)


if __name__ == "__main__":
    main()
