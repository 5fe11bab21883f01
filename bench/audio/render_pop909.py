#!/usr/bin/env python3
"""Renders POP909 MIDI to WAV (fluidsynth) with exact beat/chord labels, at its own tempo and as
tempo-scaled + transposed variants.

  render_pop909.py --out WORK [--songs N|all] [--tempo-scales 0.8,1.25] [--transpose -5..6]
                   [--variants 1] [--rate 22050] [--jobs 2] [--seed 0]

Writes WORK/midi/<id>.mid, WORK/wav/<id>.wav, WORK/labels/<id>.{beats,chords.lab,key,tempo} and
WORK/labels/manifest.csv (subsets 'pop909' = own tempo, 'pop909-var' = scaled/transposed).
Ids: pNNN (own tempo), pNNN_s<scale*100>_t<+k> (variant). Already-rendered WAVs are skipped.
Songs chosen for --songs N: evenly spaced over 001..909 (deterministic). Variants: for each chosen song,
--variants draws of (tempo scale from the list, transpose uniform in the range, 0 excluded), seeded.
"""
import argparse
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import mido

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiolib  # noqa: E402

POP909 = os.environ.get("POP909", "/work/shared/audio/pop909")


def load_truth(song):
    d = os.path.join(POP909, song)
    beats = [float(l.split()[0]) for l in open(os.path.join(d, "beat_midi.txt")) if l.strip()]
    chords = []
    for l in open(os.path.join(d, "chord_midi.txt")):
        p = l.split()
        if len(p) >= 3:
            chords.append((float(p[0]), float(p[1]), p[2]))
    keys = [l.split()[2] for l in open(os.path.join(d, "key_audio.txt")) if len(l.split()) >= 3]
    return beats, chords, keys


def make_midi(song, scale, semis, out_mid):
    mid = mido.MidiFile(os.path.join(POP909, song, f"{song}.mid"))
    for tr in mid.tracks:
        for msg in tr:
            if msg.type == "set_tempo" and scale != 1.0:
                msg.tempo = max(1, int(round(msg.tempo / scale)))
            elif msg.type in ("note_on", "note_off") and semis and msg.channel != 9:
                msg.note = min(127, max(0, msg.note + semis))
    mid.save(out_mid)


def job(args):
    song, item_id, scale, semis, work, rate = args
    labels = os.path.join(work, "labels")
    beats, chords, keys = load_truth(song)
    beats = [b / scale for b in beats]
    chords = [(s / scale, e / scale, audiolib.transpose_label(l, semis)) for s, e, l in chords]
    single = len(keys) == 1
    key = audiolib.key_to_mireval(audiolib.transpose_label(keys[0], semis)) if single else None
    audiolib.write_labels(labels, item_id, beats, chords, key)
    mid_path = os.path.join(work, "midi", item_id + ".mid")
    os.makedirs(os.path.dirname(mid_path), exist_ok=True)
    if not os.path.exists(mid_path):
        make_midi(song, scale, semis, mid_path)
    dur, cpu, skipped = audiolib.render(mid_path, os.path.join(work, "wav", item_id + ".wav"), rate)
    row = {"id": item_id, "subset": "pop909" if (scale == 1.0 and semis == 0) else "pop909-var", "source": song,
           "tempo_scale": scale, "transpose": semis, "single_key": int(single), "duration_s": f"{dur:.3f}"}
    return row, cpu, skipped


def parse_range(s):
    a, b = s.split("..")
    return int(a), int(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--songs", default="20")
    ap.add_argument("--tempo-scales", default="0.8,1.25", help="comma list; empty = no variants")
    ap.add_argument("--transpose", default="-5..6")
    ap.add_argument("--variants", type=int, default=1, help="scaled/transposed renders per song")
    ap.add_argument("--no-own-tempo", action="store_true")
    ap.add_argument("--rate", type=int, default=22050)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    songs = sorted(d for d in os.listdir(POP909) if d.isdigit() and os.path.exists(os.path.join(POP909, d, d + ".mid")))
    if a.songs != "all":
        n = min(int(a.songs), len(songs))
        songs = [songs[(i * len(songs)) // n] for i in range(n)]
    scales = [float(x) for x in a.tempo_scales.split(",") if x.strip()]
    lo, hi = parse_range(a.transpose)
    rng = random.Random(a.seed)
    jobs = []
    for s in songs:
        if not a.no_own_tempo:
            jobs.append((s, f"p{s}", 1.0, 0, a.out, a.rate))
        for _ in range(a.variants if scales else 0):
            sc = rng.choice(scales)
            k = rng.choice([t for t in range(lo, hi + 1) if t != 0])
            jobs.append((s, f"p{s}_s{int(round(sc * 100))}_t{k:+d}", sc, k, a.out, a.rate))

    t0 = time.time()
    rows, cpu, audio, rendered = [], 0.0, 0.0, 0
    with ProcessPoolExecutor(max_workers=a.jobs) as ex:
        for row, c, skipped in ex.map(job, jobs):
            rows.append(row)
            if not skipped:
                cpu += c
                audio += float(row["duration_s"])
                rendered += 1
    audiolib.write_manifest(os.path.join(a.out, "labels"), rows, ["pop909"])
    wall = time.time() - t0
    nsingle = sum(int(r["single_key"]) for r in rows)
    print(f"render_pop909: {len(rows)} files ({rendered} rendered now, {len(rows) - rendered} already there), "
          f"{nsingle} with a single key segment (key-scored)", file=sys.stderr)
    if rendered:
        print(f"render_pop909: {audio:.0f} s audio in {wall:.1f} s wall, {cpu:.1f} s fluidsynth CPU "
              f"({cpu / rendered:.2f} s CPU/file, {audio / max(cpu, 1e-9):.0f}x real time per core)", file=sys.stderr)


if __name__ == "__main__":
    main()
