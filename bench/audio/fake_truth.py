#!/usr/bin/env python3
"""Writes a fake system output in segue's contract from the ground truth (to prove score.py gives 1.0).

  fake_truth.py --labels WORK/labels --out F.csv --details DIR2

key/mode come from <id>.key (spelled with sharps, as segue does); tempo from <id>.tempo; beats and chords
copied. Files without a single key get key 'C' major (they are not key-scored).
"""
import argparse
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiolib  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--details", required=True)
    a = ap.parse_args()
    os.makedirs(a.details, exist_ok=True)
    with open(os.path.join(a.labels, "manifest.csv"), newline="") as f:
        items = [r["id"] for r in csv.DictReader(f)]
    with open(a.out, "w", newline="") as fo:
        w = csv.writer(fo)
        w.writerow(["item_id", "tempo", "loudness_lufs", "key", "mode"])
        for i in items:
            p = os.path.join(a.labels, i)
            key, mode = "C", "major"
            if os.path.exists(p + ".key"):
                k, m = open(p + ".key").read().split()
                key, mode = audiolib.PITCH[audiolib.pitch_class(k)], m
            w.writerow([i, open(p + ".tempo").read().strip(), "", key, mode])
            with open(os.path.join(a.details, i + ".beats.txt"), "w") as fb:
                fb.write(open(p + ".beats").read())
            with open(os.path.join(a.details, i + ".chords.lab"), "w") as fc:
                fc.write(open(p + ".chords.lab").read())


if __name__ == "__main__":
    main()
