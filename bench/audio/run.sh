#!/usr/bin/env bash
# The whole audio-analysis benchmark: render labelled audio, run segue (when it has `audio analyze`),
# essentia.js and aubio (+ ffmpeg ebur128 as loudness meter), score with mir_eval, print speed.
#
# usage: bench/audio/run.sh [WORK] [--songs N|all] [--variants K] [--generated N] [--real N]
#                           [--essentia-method degara|multifeature] [--fresh] [--boot B]
#   WORK            work dir (default /tmp/segue-audio-bench); everything is written under it
#   --songs         POP909 songs at own tempo (default 20; 'all' = 909); each also gets K variants
#   --variants      tempo-scaled (0.8 / 1.25) + transposed (-5..6) renders per song (default 1)
#   --generated     synthetic GM songs (default 20)
#   --real          real recordings per Debian music package, decoded to WAV, loudness/speed only (default 3;
#                   0 = none)
#   --real-seconds  decode only the first S seconds of each real recording (default 120; 0 = whole track;
#                   some tracks last 28 min)
#   --jobs          parallel essentia.js processes (default 2; CPU time is summed over them)
#   --fresh         rerun analysers even when their CSV already covers every file
#   --systems       comma list of analysers to run (default segue,essentia.js,aubio,ffmpeg; essentia.js costs
#                   ~15 CPU-s per minute of audio, so large runs may leave it out)
#   --no-render     score what WORK already holds (e.g. renders made with render_pop909.py --variants/--no-own-tempo)
# Environment: SEGUE=path/to/segue (else the newest build*/segue whose `audio analyze --help` mentions --details),
#              SEGUE_THREADS (default 1, so its speed is per core like the peers').
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
WORK=/tmp/segue-audio-bench
SONGS=20 VARIANTS=1 GENERATED=20 REAL=3 METHOD=degara FRESH=0 BOOT=1000 JOBS=2 REAL_SECONDS=120
SYSTEMS=segue,essentia.js,aubio,ffmpeg RENDER=1
if [[ $# -gt 0 && $1 != --* ]]; then WORK=$1; shift; fi
while [[ $# -gt 0 ]]; do
  case $1 in
    --songs) SONGS=$2; shift 2;; --variants) VARIANTS=$2; shift 2;; --generated) GENERATED=$2; shift 2;;
    --real) REAL=$2; shift 2;; --essentia-method) METHOD=$2; shift 2;; --fresh) FRESH=1; shift;;
    --boot) BOOT=$2; shift 2;; --jobs) JOBS=$2; shift 2;; --real-seconds) REAL_SECONDS=$2; shift 2;;
    --systems) SYSTEMS=$2; shift 2;; --no-render) RENDER=0; shift;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
NICE="nice -n 10"
OUT=$WORK/out
mkdir -p "$OUT"

wants() { [[ ,$SYSTEMS, == *,$1,* ]]; }
# An interrupted render leaves its temporary file behind (tmpXXXXXXXX.wav, renamed when complete; a render
# takes well under 10 minutes, so older ones are leftovers).
find "$WORK/wav" -maxdepth 1 -name 'tmp*.wav' -mmin +10 -delete 2>/dev/null || true
if [[ $RENDER == 1 ]]; then
  echo "== render POP909 ($SONGS songs, $VARIANTS variant(s) each) and $GENERATED generated songs" >&2
  $NICE $PY "$HERE/render_pop909.py" --out "$WORK" --songs "$SONGS" --variants "$VARIANTS"
  $NICE $PY "$HERE/generate_midi.py" --out "$WORK" --count "$GENERATED"
fi

if [[ $REAL -gt 0 ]]; then
  echo "== real recordings: $REAL per package, decoded to WAV" >&2
  mkdir -p "$WORK/real"
  for spec in wesnoth:/usr/share/games/wesnoth/1.16/data/core/music hyperrogue:/usr/share/hyperrogue/music \
              wz2100:/usr/share/games/warzone2100/music blupi:/usr/share/planetblupi/music; do
    tag=${spec%%:*} dir=${spec#*:}
    [[ -d $dir ]] || { echo "   $dir missing, skipped" >&2; continue; }
    find "$dir" -type f \( -name '*.ogg' -o -name '*.opus' \) | sort | head -n "$REAL" | while read -r f; do
      base=$(basename "${f%.*}" | tr -c 'A-Za-z0-9_.\n-' '_')
      dst=$WORK/real/${tag}_$base.wav
      lim=(); [[ $REAL_SECONDS -gt 0 ]] && lim=(-t "$REAL_SECONDS")
      [[ -s $dst ]] || $NICE ffmpeg -nostdin -loglevel error -y -i "$f" "${lim[@]}" -ac 2 -ar 44100 -c:a pcm_s16le "$dst" \
        || { echo "   $f: could not be decoded, skipped" >&2; rm -f "$dst"; }
    done
  done
fi
SETS=(wav); [[ $REAL -gt 0 && -d $WORK/real ]] && SETS+=(real)

covered() {  # covered CSV DIR: the CSV has a row for every WAV in DIR
  [[ $FRESH == 0 && -s $1 ]] || return 1
  [[ $(($(wc -l <"$1") - 1)) -ge $(find "$2" -maxdepth 1 -name '*.wav' | wc -l) ]]
}
run_sys() {  # run_sys NAME SET CMD... (CMD gets the CSV and details paths via $CSV and $DET)
  local name=$1 set=$2; shift 2
  if covered "$OUT/$name/$set.csv" "$WORK/$set"; then echo "   $name/$set: reused" >&2; return; fi
  mkdir -p "$OUT/$name"
  $NICE $PY "$HERE/timed.py" --name "$name" --audio-dir "$WORK/$set" --tsv "$OUT/$name/$set.time.tsv" -- "$@" \
    || echo "   $name/$set: FAILED (rc $?)" >&2
}

# segue
SEG=${SEGUE:-}
if [[ -z $SEG ]]; then
  for b in $(ls -t "$REPO"/build*/segue 2>/dev/null); do
    if timeout 20 "$b" audio analyze --help 2>&1 | grep -q -- '--details'; then SEG=$b; break; fi
  done
fi
SYSARGS=()
for set in "${SETS[@]}"; do
  if [[ -n $SEG ]] && wants segue; then
    echo "== segue ($SEG) on $set" >&2
    run_sys segue "$set" "$SEG" audio analyze --input "$WORK/$set" --out "$OUT/segue/$set.csv" \
      --details "$OUT/segue/$set.d" --threads "${SEGUE_THREADS:-1}"
  fi
  if wants essentia.js; then
  echo "== essentia.js (RhythmExtractor2013 method $METHOD) on $set" >&2
  NODE_PATH=$(bash /work/shared/peers/build_essentia.sh | tail -n1)
  export NODE_PATH
  run_sys essentia.js "$set" bash -c 'for k in $(seq 0 $(($4 - 1))); do
      node "$0" --input "$1" --out "$2.$k" --details "$3" --method "$5" --shard "$k/$4" & done; wait
      { head -n1 "$2.0"; for k in $(seq 0 $(($4 - 1))); do tail -n +2 "$2.$k"; done; } >"$2"; rm -f "$2".[0-9]*' \
    "$HERE/essentia_analyze.js" "$WORK/$set" "$OUT/essentia.js/$set.csv" "$OUT/essentia.js/$set.d" "$JOBS" "$METHOD"
  fi
  if wants aubio; then
    echo "== aubio on $set" >&2
    run_sys aubio "$set" $PY "$HERE/aubio_analyze.py" --input "$WORK/$set" --out "$OUT/aubio/$set.csv" --details "$OUT/aubio/$set.d"
  fi
  if wants ffmpeg; then
    echo "== ffmpeg ebur128 on $set" >&2
    run_sys ffmpeg "$set" $PY "$HERE/ffmpeg_loudness.py" --input "$WORK/$set" --out "$OUT/ffmpeg/$set.csv"
  fi
done
[[ -z $SEG ]] && echo "== segue: no build*/segue (or \$SEGUE) has 'audio analyze' yet; skipped" >&2

# scorer self-check: ground truth written in segue's contract must score 1.0
$PY "$HERE/fake_truth.py" --labels "$WORK/labels" --out "$OUT/truth.csv" --details "$OUT/truth.d"
SYSARGS+=(--system "truth=$OUT/truth.csv:$OUT/truth.d")
for name in segue essentia.js aubio ffmpeg; do
  for set in "${SETS[@]}"; do
    [[ -s $OUT/$name/$set.csv ]] && SYSARGS+=(--system "$name=$OUT/$name/$set.csv:$OUT/$name/$set.d")
  done
done
echo >&2
$NICE $PY "$HERE/score.py" --labels "$WORK/labels" "${SYSARGS[@]}" --json "$OUT/scores.json" --boot "$BOOT" \
  | tee "$OUT/scores.md"
TIMES=$(ls "$OUT"/*/*.time.tsv 2>/dev/null || true)
if [[ -n $TIMES ]]; then
  echo; echo "### Speed (whole process, CPU user+sys incl. start-up; x real time per core = audio s / CPU s)"; echo
  $PY - $TIMES <<'PYEOF' | tee -a "$OUT/scores.md"
import csv, sys
rows = [r for p in sys.argv[1:] for r in csv.DictReader(open(p), delimiter="\t")]
print("| system | set | files | audio (s) | wall (s) | CPU (s) | x real time per core |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['system']} | {r['set']} | {r['files']} | {r['audio_s']} | {r['wall_s']} | {r['cpu_s']} | {r['x_realtime_per_core']} |")
PYEOF
fi
echo "(tables also in $OUT/scores.md, $OUT/scores.json)" >&2
