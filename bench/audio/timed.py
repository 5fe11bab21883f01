#!/usr/bin/env python3
"""Runs one analyser command and records its CPU time against the audio it analysed.

  timed.py --name NAME --audio-dir DIR --tsv OUT.tsv -- CMD ARGS...

Writes (overwrites) a header and one line 'name  set  files  audio_s  wall_s  cpu_s  x_realtime_per_core' to OUT.tsv, where cpu_s is the
user+sys time of CMD and all its children (os.wait4 rusage) and x_realtime_per_core = audio_s / cpu_s.
Audio duration: WAV headers in DIR.
"""
import argparse
import os
import subprocess
import sys
import time
import wave


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--name", required=True)
    ap.add_argument("--audio-dir", required=True)
    ap.add_argument("--tsv", required=True)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    wavs = [f for f in os.listdir(a.audio_dir) if f.lower().endswith(".wav")]
    audio = 0.0
    for f in wavs:
        with wave.open(os.path.join(a.audio_dir, f)) as w:
            audio += w.getnframes() / w.getframerate()
    t0 = time.time()
    p = subprocess.Popen(cmd)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.time() - t0
    cpu = ru.ru_utime + ru.ru_stime
    rc = os.waitstatus_to_exitcode(status)
    with open(a.tsv, "w") as f:
        f.write("system\tset\tfiles\taudio_s\twall_s\tcpu_s\tx_realtime_per_core\trc\n")
        f.write(f"{a.name}\t{os.path.basename(os.path.normpath(a.audio_dir))}\t{len(wavs)}\t{audio:.1f}\t{wall:.1f}\t"
                f"{cpu:.1f}\t{audio / cpu if cpu > 0 else float('nan'):.1f}\t{rc}\n")
    sys.exit(rc)


if __name__ == "__main__":
    main()
