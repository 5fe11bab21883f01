#!/usr/bin/env python3
"""Self-test of score.py on hand-made system outputs (no audio, seconds to run):

  /usr/bin/python3 bench/audio/test_score.py

Labels come from generate_midi.build_song (no rendering). Systems, all in segue's output contract:
  truth   - the labels themselves                      -> every metric 1.0
  double  - tempo x2, beats at half-beats, key = relative minor/major, chords all 'N'
            -> Acc1 0, Acc2 1, CMLt 0, AMLt 1, key 0.3, chord root 0
  missing - outputs nothing for half of the files      -> those files count as misses
"""
import csv
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import audiolib  # noqa: E402
import generate_midi  # noqa: E402


def write_system(path, rows, details, items, fn):
    os.makedirs(details, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["item_id", "tempo", "loudness_lufs", "key", "mode"])
        for i, (beats, chords, key, bpm) in items.items():
            out = fn(i, beats, chords, key, bpm)
            if out is None:
                continue
            b, c, k, m, t = out
            w.writerow([i, t, "-20.0", k, m])
            with open(os.path.join(details, i + ".beats.txt"), "w") as fb:
                fb.writelines(f"{x:.6f}\n" for x in b)
            with open(os.path.join(details, i + ".chords.lab"), "w") as fc:
                fc.writelines(f"{s:.6f}\t{e:.6f}\t{l}\n" for s, e, l in c)


class ScoreTest(unittest.TestCase):
    def test_scores(self):
        with tempfile.TemporaryDirectory() as d:
            labels = os.path.join(d, "labels")
            items, rows = {}, []
            for idx in range(6):
                _, beats, chords, meta = generate_midi.build_song(idx * 5, 0, 30)
                iid = f"g{idx:04d}"
                audiolib.write_labels(labels, iid, beats, chords, meta["key"])
                items[iid] = (beats, chords, meta["key"], audiolib.tempo_from_beats(beats))
                rows.append({"id": iid, "subset": "generated", "source": "", "tempo_scale": 1, "transpose": 0,
                             "single_key": 1, "duration_s": beats[-1]})
            audiolib.write_manifest(labels, rows, ["generated"])

            def split(key):
                k, m = key.split()
                return audiolib.PITCH[audiolib.pitch_class(k)], m

            def truth(i, b, c, key, t):
                return b, c, *split(key), t

            def double(i, b, c, key, t):
                k, m = split(key)
                pc = audiolib.pitch_class(k)
                rel = (audiolib.PITCH[(pc + 9) % 12], "minor") if m == "major" else (audiolib.PITCH[(pc + 3) % 12], "major")
                half = sorted(b + [(x + y) / 2 for x, y in zip(b, b[1:])])
                return half, [(c[0][0], c[-1][1], "N")], rel[0], rel[1], 2 * t

            def missing(i, b, c, key, t):
                return None if int(i[1:]) % 2 else truth(i, b, c, key, t)

            args = [sys.executable, os.path.join(HERE, "score.py"), "--labels", labels, "--boot", "50",
                    "--json", os.path.join(d, "s.json")]
            for name, fn in (("truth", truth), ("double", double), ("missing", missing)):
                write_system(os.path.join(d, name + ".csv"), rows, os.path.join(d, name + ".d"), items, fn)
                args += ["--system", f"{name}={d}/{name}.csv:{d}/{name}.d"]
            subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
            with open(os.path.join(d, "s.json")) as f:
                res = {r["system"]: r for r in json.load(f)}
            for k in ("tempo_acc1", "tempo_acc2", "beat_f", "beat_cmlt", "beat_amlt", "key_weighted",
                      "chord_root", "chord_majmin", "chord_mirex"):
                self.assertAlmostEqual(res["truth"][k][0], 1.0, places=6, msg=k)
            r = res["double"]
            self.assertEqual(r["tempo_acc1"][0], 0.0)
            self.assertEqual(r["tempo_acc2"][0], 1.0)
            self.assertEqual(r["beat_cmlt"][0], 0.0)
            self.assertGreater(r["beat_amlt"][0], 0.98)  # double-tempo beats are an allowed metrical level
            self.assertAlmostEqual(r["key_weighted"][0], 0.3, places=6)
            self.assertEqual(r["chord_root"][0], 0.0)
            r = res["missing"]
            self.assertEqual(r["n"], 6)
            self.assertEqual(r["n_output"], 3)
            self.assertAlmostEqual(r["tempo_acc1"][0], 0.5)
            self.assertAlmostEqual(r["key_weighted"][0], 0.5)


if __name__ == "__main__":
    unittest.main()
