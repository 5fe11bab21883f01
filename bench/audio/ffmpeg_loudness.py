#!/usr/bin/env python3
"""Loudness reference meter: ffmpeg's ebur128 filter (EBU R128 / BS.1770 integrated loudness) per file.

  ffmpeg_loudness.py --input DIR --out F.csv [--ext wav,ogg,opus]

F.csv: item_id,tempo,loudness_lufs,key,mode,duration_s,cpu_s,wall_s (only loudness filled), so score.py
can treat it as a system and compare every analyser's loudness against it.
"""
import argparse
import csv
import os
import re
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--ext", default="wav,ogg,opus,flac,mp3")
    a = ap.parse_args()
    exts = tuple("." + e for e in a.ext.split(","))
    files = sorted(f for f in os.listdir(a.input) if f.lower().endswith(exts))
    with open(a.out, "w", newline="") as fo:
        w = csv.writer(fo)
        w.writerow(["item_id", "tempo", "loudness_lufs", "key", "mode", "duration_s", "cpu_s", "wall_s"])
        for f in files:
            t0, c0 = time.time(), os.times()
            err = subprocess.run(["ffmpeg", "-nostats", "-hide_banner", "-i", os.path.join(a.input, f),
                                  "-filter_complex", "ebur128", "-f", "null", "-"], capture_output=True, text=True).stderr
            c1 = os.times()
            cpu = (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)
            summary = err[err.rfind("Summary:"):]
            m = re.search(r"I:\s*(-?[0-9.]+|-inf)\s*LUFS", summary)
            d = re.search(r"Duration:\s*(\d+):(\d+):([0-9.]+)", err)
            dur = int(d.group(1)) * 3600 + int(d.group(2)) * 60 + float(d.group(3)) if d else 0.0
            lufs = m.group(1) if m else ""
            w.writerow([os.path.splitext(f)[0], "", lufs, "", "", f"{dur:.3f}", f"{cpu:.3f}", f"{time.time() - t0:.3f}"])
            fo.flush()
            print(f"ffmpeg ebur128 {f}: {lufs} LUFS", file=sys.stderr)


if __name__ == "__main__":
    main()
