#!/usr/bin/env python3
"""Carves a rendered WORK dir into a development part and a test part (symlinks, no copies), so that what is
tuned on one (the metrical-level model, fit_metre.py) is reported on the other.

  carve.py --work WORK --out OUT --part dev|test [--every 5] [--sample pop909=120,pop909-var=60,generated=60]
           [--seed 0]

A POP909 song is development when its number is a multiple of --every; its tempo-scaled/transposed renders
follow it, so no song is on both sides. Other subsets (generated) are all test: the development generated songs
are rendered separately with another seed. --sample keeps a seeded random sample of N items per subset (the
peers, slower than segue, run on such a sample). Writes OUT/wav/<id>.wav and OUT/labels/<id>.* as links to WORK's
files and OUT/labels/manifest.csv with the chosen rows.
"""
import argparse, csv, glob, os, random, re, sys


def song_number(item_id):
    m = re.match(r"p(\d{3})", item_id)
    return int(m.group(1)) if m else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--part", choices=["dev", "test"], required=True)
    ap.add_argument("--every", type=int, default=5)
    ap.add_argument("--sample", default="")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    with open(os.path.join(a.work, "labels", "manifest.csv"), newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    chosen = []
    for r in rows:
        n = song_number(r["id"])
        dev = n is not None and n % a.every == 0
        if dev == (a.part == "dev") and os.path.exists(os.path.join(a.work, "wav", r["id"] + ".wav")):
            chosen.append(r)
    if a.sample:
        quota = {k: int(v) for k, v in (s.split("=") for s in a.sample.split(","))}
        rng = random.Random(a.seed)
        sampled = []
        for subset in sorted({r["subset"] for r in chosen}):
            group = [r for r in chosen if r["subset"] == subset]
            k = quota.get(subset, len(group))
            sampled += rng.sample(group, min(k, len(group)))
        chosen = sorted(sampled, key=lambda r: r["id"])
    for sub in ("wav", "labels"):
        os.makedirs(os.path.join(a.out, sub), exist_ok=True)
    for r in chosen:
        links = [(os.path.join(a.work, "wav", r["id"] + ".wav"), os.path.join(a.out, "wav", r["id"] + ".wav"))]
        links += [(p, os.path.join(a.out, "labels", os.path.basename(p)))
                  for p in glob.glob(os.path.join(a.work, "labels", glob.escape(r["id"]) + ".*"))]
        for src, dst in links:
            if not os.path.lexists(dst):
                os.symlink(os.path.abspath(src), dst)
    with open(os.path.join(a.out, "labels", "manifest.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(chosen)
    counts = {}
    for r in chosen:
        counts[r["subset"]] = counts.get(r["subset"], 0) + 1
    print(f"carve: {a.part} -> {a.out}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), file=sys.stderr)


if __name__ == "__main__":
    main()
