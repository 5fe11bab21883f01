#!/usr/bin/env python3
"""Generates labelled synthetic songs in General MIDI for timbre variety, and renders them like POP909.

  generate_midi.py --out WORK --count N --seed S [--rate 22050] [--jobs 2] [--seconds 40]

Each song: a common pop/rock/jazz-ish triad progression (one chord per bar, or two) in a random key and
mode (all 24 used in turn), 4/4 at 60-200 BPM, a chord instrument and a bass instrument from General MIDI
(piano, guitar, strings, organ, synth pad, brass, ...), half with a GM drum kit on channel 9 (kick on 1
and 3, snare on 2 and 4, closed hats on eighths), timing humanised with +-10 ms jitter and random
velocities. Labels are the nominal (un-jittered) beats/chords, the key and BPM, written exactly as
render_pop909.py does (subset 'generated', ids gNNNN). Already-rendered WAVs are skipped.
"""
import argparse
import os
import random
import sys
from concurrent.futures import ProcessPoolExecutor

import mido

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiolib  # noqa: E402

# (semitones above tonic, quality) per scale degree
MAJOR = {"I": (0, "maj"), "ii": (2, "min"), "iii": (4, "min"), "IV": (5, "maj"), "V": (7, "maj"), "vi": (9, "min")}
MINOR = {"i": (0, "min"), "iv": (5, "min"), "v": (7, "min"), "V": (7, "maj"), "III": (3, "maj"), "VI": (8, "maj"),
         "VII": (10, "maj")}
PROG_MAJOR = [["I", "V", "vi", "IV"], ["I", "IV", "V", "I"], ["ii", "V", "I", "vi"], ["I", "vi", "IV", "V"],
              ["vi", "IV", "I", "V"], ["I", "iii", "IV", "V"], ["I", "IV", "I", "V"], ["I", "vi", "ii", "V"]]
PROG_MINOR = [["i", "iv", "V", "i"], ["i", "VI", "iv", "V"], ["i", "VII", "VI", "V"], ["i", "iv", "VII", "III"],
              ["i", "VI", "III", "VII"], ["i", "iv", "v", "i"], ["i", "VI", "VII", "i"]]
# General MIDI programs (0-based): name -> program
CHORD_INSTR = {"acoustic grand piano": 0, "electric piano": 4, "drawbar organ": 16, "rock organ": 18,
               "nylon guitar": 24, "steel guitar": 25, "clean electric guitar": 27, "overdriven guitar": 29,
               "string ensemble": 48, "synth strings": 50, "choir aahs": 52, "brass section": 61,
               "synth brass": 62, "warm pad": 89, "polysynth pad": 90, "vibraphone": 11, "accordion": 21}
BASS_INSTR = {"acoustic bass": 32, "finger bass": 33, "picked bass": 34, "fretless bass": 35, "synth bass": 38,
              "cello": 42, "tuba": 58}
TPB = 480


def build_song(idx, seed, seconds):
    rng = random.Random(seed * 100003 + idx)
    tonic = idx % 12
    mode = "major" if (idx // 12) % 2 == 0 else "minor"
    degrees, prog = (MAJOR, rng.choice(PROG_MAJOR)) if mode == "major" else (MINOR, rng.choice(PROG_MINOR))
    bpm = rng.uniform(60, 200)
    spb = 60.0 / bpm
    per_bar = rng.choice([1, 1, 2])        # chords per bar
    beats_per_chord = 4 // per_bar
    n_chords = max(len(prog) * 2, int(round(seconds / (spb * beats_per_chord) / len(prog))) * len(prog))
    chord_name, chord_prog = rng.choice(list(CHORD_INSTR.items()))
    bass_name, bass_prog = rng.choice(list(BASS_INSTR.items()))
    drums = rng.random() < 0.5
    style = rng.choice(["sustain", "beats", "arpeggio"])
    jit = lambda: rng.uniform(-0.010, 0.010)  # noqa: E731
    events = []  # (time_s, msg)

    def note(t, dur, ch, pitch, vel):
        t = max(0.0, t + jit())
        events.append((t, mido.Message("note_on", channel=ch, note=pitch, velocity=vel)))
        events.append((t + dur, mido.Message("note_off", channel=ch, note=pitch, velocity=0)))

    chords, t = [], 0.0
    for c in range(n_chords):
        off, qual = degrees[prog[c % len(prog)]]
        root = (tonic + off) % 12
        third = 3 if qual == "min" else 4
        start, dur = t, beats_per_chord * spb
        chords.append((start, start + dur, f"{audiolib.PITCH[root]}:{qual}"))
        base = 60 + ((root - 0) % 12)
        if base > 66:
            base -= 12
        tri = [base, base + third, base + 7]
        if style == "sustain":
            for p in tri:
                note(start, dur * 0.95, 0, p, rng.randint(60, 90))
        elif style == "beats":
            for b in range(beats_per_chord):
                for p in tri:
                    note(start + b * spb, spb * 0.8, 0, p, rng.randint(55, 95))
        else:
            seq = tri + [tri[1]]
            for k in range(beats_per_chord * 2):
                note(start + k * spb / 2, spb * 0.9, 0, seq[k % 4] + (12 if k % 8 >= 4 else 0), rng.randint(55, 95))
        bass = 36 + root
        for b in range(0, beats_per_chord, 2):
            note(start + b * spb, spb * 1.8, 1, bass, rng.randint(70, 100))
        if drums:
            for b in range(beats_per_chord):
                tb = start + b * spb
                note(tb, 0.1, 9, 36 if b % 2 == 0 else 38, rng.randint(80, 115))
                for h in range(2):
                    note(tb + h * spb / 2, 0.05, 9, 42, rng.randint(50, 85))
        t += dur
    beats = [i * spb for i in range(int(round(t / spb)))]

    mid = mido.MidiFile(ticks_per_beat=TPB)
    tr = mido.MidiTrack()
    mid.tracks.append(tr)
    tempo = mido.bpm2tempo(bpm)
    head = [mido.MetaMessage("set_tempo", tempo=tempo), mido.MetaMessage("time_signature", numerator=4, denominator=4),
            mido.Message("program_change", channel=0, program=chord_prog),
            mido.Message("program_change", channel=1, program=bass_prog)]
    tr.extend(head)
    ticks_per_s = TPB / spb
    last = 0
    order = {"note_off": 0, "note_on": 1}
    for ts, msg in sorted(events, key=lambda e: (e[0], order[e[1].type])):
        tick = int(round(ts * ticks_per_s))
        tr.append(msg.copy(time=tick - last))
        last = tick
    tr.append(mido.MetaMessage("end_of_track", time=TPB))
    meta = {"key": f"{audiolib.PITCH[tonic]} {mode}", "bpm": bpm, "chord_instr": chord_name, "bass_instr": bass_name,
            "drums": drums, "style": style, "progression": "-".join(prog)}
    return mid, beats, chords, meta


def job(args):
    idx, seed, seconds, work, rate = args
    item_id = f"g{idx:04d}"
    mid, beats, chords, meta = build_song(idx, seed, seconds)
    audiolib.write_labels(os.path.join(work, "labels"), item_id, beats, chords, meta["key"])
    mid_path = os.path.join(work, "midi", item_id + ".mid")
    os.makedirs(os.path.dirname(mid_path), exist_ok=True)
    mid.save(mid_path)
    dur, cpu, skipped = audiolib.render(mid_path, os.path.join(work, "wav", item_id + ".wav"), rate)
    desc = f"{meta['chord_instr']}+{meta['bass_instr']}{'+drums' if meta['drums'] else ''} {meta['style']} " \
           f"{meta['progression']} {meta['bpm']:.1f}bpm"
    return {"id": item_id, "subset": "generated", "source": desc, "tempo_scale": 1.0, "transpose": 0,
            "single_key": 1, "duration_s": f"{dur:.3f}"}, cpu, skipped


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=40.0)
    ap.add_argument("--rate", type=int, default=22050)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    rows, cpu, n = [], 0.0, 0
    with ProcessPoolExecutor(max_workers=a.jobs) as ex:
        for row, c, skipped in ex.map(job, [(i, a.seed, a.seconds, a.out, a.rate) for i in range(a.count)]):
            rows.append(row)
            cpu += c
            n += 0 if skipped else 1
    audiolib.write_manifest(os.path.join(a.out, "labels"), rows, ["generated"])
    print(f"generate_midi: {len(rows)} songs ({n} rendered now, {cpu:.1f} s fluidsynth CPU)", file=sys.stderr)


if __name__ == "__main__":
    main()
