"""Shared helpers for bench/audio: rendering MIDI with fluidsynth and writing label files.

Label layout (WORK/labels/), one set per rendered file <id>:
  <id>.beats       one beat time (s) per line
  <id>.chords.lab  start<TAB>end<TAB>Harte label
  <id>.key         mir_eval key ("Gb major"); only for files with a single key segment
  <id>.tempo       ground-truth BPM = 60 / median inter-beat interval
  manifest.csv     id,subset,source,tempo_scale,transpose,single_key,duration_s
"""
import csv
import os
import statistics
import subprocess
import tempfile

SF2 = os.environ.get("SEGUE_SF2", "/usr/share/sounds/sf2/FluidR3_GM.sf2")
PITCH = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
_NAT = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
MANIFEST_FIELDS = ["id", "subset", "source", "tempo_scale", "transpose", "single_key", "duration_s"]


def pitch_class(name):
    """'Gb' -> 6, 'C#' -> 1, 'B#' -> 0."""
    pc = _NAT[name[0].upper()]
    for ch in name[1:]:
        pc += 1 if ch == "#" else -1 if ch == "b" else 0
    return pc % 12


def split_root(label):
    """'F#:min7/b3' -> ('F#', ':min7/b3'); 'N' -> (None, 'N')."""
    if label in ("N", "X") or not label:
        return None, label
    i = 1
    while i < len(label) and label[i] in "#b":
        i += 1
    return label[:i], label[i:]


def transpose_label(label, semitones, spell_sharps=False):
    """Moves the chord/key root; the quality (and interval-relative bass such as /3) stays."""
    root, rest = split_root(label)
    if root is None or (semitones == 0 and not spell_sharps):
        return label
    return PITCH[(pitch_class(root) + semitones) % 12] + rest


def key_to_mireval(label):
    """'Gb:maj' -> 'Gb major', 'A:min' -> 'A minor'."""
    root, rest = split_root(label.strip())
    mode = {"maj": "major", "min": "minor"}.get(rest.lstrip(":").split("/")[0], "other")
    return f"{root} {mode}"


def tempo_from_beats(beats):
    ibis = [b - a for a, b in zip(beats, beats[1:]) if b > a]
    return 60.0 / statistics.median(ibis) if ibis else 0.0


def write_labels(labels_dir, item_id, beats, chords, key=None):
    """beats: list of s; chords: list of (start, end, label); key: mir_eval key string or None."""
    os.makedirs(labels_dir, exist_ok=True)
    p = os.path.join(labels_dir, item_id)
    with open(p + ".beats", "w") as f:
        f.writelines(f"{b:.6f}\n" for b in beats)
    with open(p + ".chords.lab", "w") as f:
        f.writelines(f"{s:.6f}\t{e:.6f}\t{lab}\n" for s, e, lab in chords)
    with open(p + ".tempo", "w") as f:
        f.write(f"{tempo_from_beats(beats):.4f}\n")
    if key is not None:
        with open(p + ".key", "w") as f:
            f.write(key + "\n")
    elif os.path.exists(p + ".key"):
        os.remove(p + ".key")


def write_manifest(labels_dir, rows, subset_prefixes=None):
    """Merges rows into manifest.csv by id: ours replace rows with the same id, every other row is kept (so a
    variants-only run does not drop the own-tempo rows of an earlier run). subset_prefixes is unused (kept for
    callers)."""
    path = os.path.join(labels_dir, "manifest.csv")
    ours = {r["id"] for r in rows}
    keep = []
    if os.path.exists(path):
        with open(path) as f:
            keep = [r for r in csv.DictReader(f) if r["id"] not in ours]
    with open(path + ".tmp", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=MANIFEST_FIELDS)
        w.writeheader()
        for r in sorted(keep + rows, key=lambda r: r["id"]):
            w.writerow({k: r.get(k, "") for k in MANIFEST_FIELDS})
    os.replace(path + ".tmp", path)


def render(mid_path, wav_path, rate=22050, gain=0.6):
    """fluidsynth offline render; skips if wav exists. Returns (seconds of audio, CPU seconds spent, skipped)."""
    if os.path.exists(wav_path) and os.path.getsize(wav_path) > 44:
        return wav_seconds(wav_path), 0.0, True
    os.makedirs(os.path.dirname(wav_path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".wav", dir=os.path.dirname(wav_path))
    os.close(fd)
    t0 = os.times()
    subprocess.run(["nice", "-n", "10", "fluidsynth", "-ni", "-g", str(gain), "-r", str(rate), "-F", tmp, SF2, mid_path],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t1 = os.times()
    os.chmod(tmp, 0o644)
    os.replace(tmp, wav_path)
    return wav_seconds(wav_path), (t1.children_user - t0.children_user) + (t1.children_system - t0.children_system), False


def wav_seconds(path):
    import wave
    with wave.open(path) as w:
        return w.getnframes() / w.getframerate()
