#!/usr/bin/env python3
"""Peer analyser: aubio CLI (Debian aubio-tools) -> segue's contract, tempo and beats only (no key, no chords).

  aubio_analyze.py --input DIR --out F.csv --details DIR2

Per file: `aubio tempo -i F` (last line 'NNN.NN bpm') and `aubio beat -i F` (one beat time per line, s).
F.csv: item_id,tempo,loudness_lufs,key,mode,duration_s,cpu_s,wall_s (loudness/key/mode left empty);
DIR2/<id>.beats.txt. cpu_s = user+sys CPU of both aubio processes.
"""
import argparse
import csv
import os
import re
import subprocess
import sys
import time
import wave


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--details", required=True)
    a = ap.parse_args()
    os.makedirs(a.details, exist_ok=True)
    files = sorted(f for f in os.listdir(a.input) if f.lower().endswith(".wav"))
    with open(a.out, "w", newline="") as fo:
        w = csv.writer(fo)
        w.writerow(["item_id", "tempo", "loudness_lufs", "key", "mode", "duration_s", "cpu_s", "wall_s"])
        for f in files:
            path = os.path.join(a.input, f)
            item = os.path.splitext(f)[0]
            t0, c0 = time.time(), os.times()
            tempo_out = subprocess.run(["aubio", "tempo", "-i", path], capture_output=True, text=True).stdout
            beat_out = subprocess.run(["aubio", "beat", "-i", path], capture_output=True, text=True).stdout
            c1 = os.times()
            cpu = (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)
            m = re.findall(r"([0-9.]+)\s*bpm", tempo_out)
            tempo = float(m[-1]) if m else 0.0
            beats = [float(x) for x in beat_out.split() if re.match(r"^[0-9.]+$", x)]
            with open(os.path.join(a.details, item + ".beats.txt"), "w") as fb:
                fb.writelines(f"{b:.4f}\n" for b in beats)
            with wave.open(path) as wv:
                dur = wv.getnframes() / wv.getframerate()
            w.writerow([item, f"{tempo:.3f}", "", "", "", f"{dur:.3f}", f"{cpu:.3f}", f"{time.time() - t0:.3f}"])
            fo.flush()
            print(f"aubio {item}: {tempo:.1f} BPM, {len(beats)} beats", file=sys.stderr)


if __name__ == "__main__":
    main()
