#!/usr/bin/env bash
# Every registered model's defaults against its validation-chosen spec (issue 15; docs/MODELS.md "Defaults").
#
#   bash bench/defaults/run.sh data      # imports and splits (Last.fm random 20% seed 42; mpd-subset random and
#                                        # leave-last seed 42) and carves validation pairs from each train.csv (seed 7)
#   bash bench/defaults/run.sh tune      # segue tune (6 random trials, its own carve of train.csv) per classic model
#   bash bench/defaults/run.sh compare [REGEX]   # for each row of specs.tsv (dataset, model, default, tuned)
#                                        # matching REGEX: default and tuned on the validation carve and on test
#                                        # (VAL_ONLY=1: the validation carve only, for grid rows)
#   bash bench/defaults/run.sh table     # the Markdown table of docs/MODELS.md
#
# SEGUE (default build-defaults/segue), OUT (default /tmp/segue-defaults). Every run is nice'd, one thread
# (the machine is shared); deep models as specs.tsv caps them. The test split is read only by `compare`, once
# per spec; nothing is chosen on it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
segue=${SEGUE:-$root/build-defaults/segue}
out=${OUT:-/tmp/segue-defaults}
specs=$root/bench/defaults/specs.tsv
mkdir -p "$out"
run() { nice -n 15 "$segue" "$@"; }
export OMP_WAIT_POLICY=PASSIVE

# dataset -> "TRAIN TEST VALTRAIN VALTEST"
paths() {
  case $1 in
    lastfm) echo "$out/lfm/split/train.csv $out/lfm/split/test.csv $out/lfm/val/train.csv $out/lfm/val/test.csv" ;;
    mpd) echo "$out/mpd/split/train.csv $out/mpd/split/test.csv $out/mpd/val/train.csv $out/mpd/val/test.csv" ;;
    mpd-seq) echo "$out/mpd/seq/train.csv $out/mpd/seq/test.csv $out/mpd/seqval/train.csv $out/mpd/seqval/test.csv" ;;
  esac
}

spec_file() { printf '%s' "$1" | tr -c 'A-Za-z0-9._=-' '_'; }  # keep in step with table.py

carve() {  # carve TRAIN.csv STORE OUT METHOD: a validation pair from the training file only
  run import --format csv --input "$1" --out "$2" --user-col user_id --item-col item_id --weight-col weight \
      --position-col position
  run split "$2" --method "$4" --seed 7 --out "$3"
}

case ${1:-} in
  data)
    run import --format lastfm --input "$root/data/lastfm-hetrec-2k" --out "$out/lfm/store" --kcore-users 5
    run split "$out/lfm/store" --method random --seed 42 --out "$out/lfm/split"
    run import --format csv --input "$out/lfm/split/train.csv" --out "$out/lfm/trainstore" --user-col user_id \
        --item-col item_id --weight-col weight
    run split "$out/lfm/trainstore" --method random --seed 7 --out "$out/lfm/val"
    run import --format mpd --input "${MPD:-/work/shared/data/mpd-subset}" --out "$out/mpd/store"
    run split "$out/mpd/store" --method random --seed 42 --out "$out/mpd/split"
    run split "$out/mpd/store" --method leave-last --seed 42 --out "$out/mpd/seq"
    carve "$out/mpd/split/train.csv" "$out/mpd/trainstore" "$out/mpd/val" random
    carve "$out/mpd/seq/train.csv" "$out/mpd/seqtrainstore" "$out/mpd/seqval" leave-last
    ;;
  tune)
    for data in lastfm mpd; do
      read -r train _ _ _ <<<"$(paths $data)"
      models="itemknn userknn rp3beta ials bpr"; [ $data = lastfm ] && models="$models ease"
      for m in $models; do
        run tune --model $m --train "$train" --trials 6 --threads 1 --out "$out/$data-tuned-$m.spec" \
            --json "$out/$data-tune-$m.json" >"$out/$data-tune-$m.log" 2>&1
        tail -1 "$out/$data-tune-$m.log"
      done
    done
    ;;
  compare)
    grep -v '^#' "$specs" | while IFS=$'\t' read -r data model default tuned; do
      [ -z "$data" ] && continue
      [[ "$data-$model" =~ ${2:-.} ]] || continue
      read -r train test vtrain vtest <<<"$(paths $data)"
      metrics=ndcg@10; [ $data = mpd-seq ] && metrics=ndcg@10,hit@10
      for which in default tuned; do
        spec=$default; [ $which = tuned ] && spec=$tuned
        # Results are named by (data, spec): a default shared by several rows runs once; an existing
        # result is kept (delete it to rerun). VAL_ONLY=1: the validation carve only (grids; the test
        # split is then read once, for the default and the chosen spec).
        for part in val test; do
          [ $part = test ] && [ "${VAL_ONLY:-0}" = 1 ] && continue
          name=$out/$data-$part-$(spec_file "$spec")
          [ -s "$name.json" ] && continue
          if [ $part = val ]; then tr=$vtrain; te=$vtest; else tr=$train; te=$test; fi
          run eval --train "$tr" --test "$te" --model "$spec" --metrics $metrics --threads 1 \
              --json "$name.json" >"$name.log" 2>&1 || echo "FAILED: $data $part $spec (see $name.log)"
        done
        echo "$data $model $which done"
      done
    done
    ;;
  table) python3 "$root/bench/defaults/table.py" "$out" "$specs" ;;
  *) sed -n '2,15p' "$0"; exit 2 ;;
esac
