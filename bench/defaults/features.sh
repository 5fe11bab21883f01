#!/usr/bin/env bash
# The feature models' defaults against their validation-chosen specs (issue 15; docs/MODELS.md "Defaults"): content,
# featureknn, blend, mmr, hybrid, title, each on the protocol it is for.
#
#   bash bench/defaults/features.sh data     # imports, splits, items files, validation carves (seed 7, from train only)
#   bash bench/defaults/features.sh grid [REGEX]     # every candidate spec of features-grid.tsv matching REGEX on the
#                                            # validation carve (NDCG@10 printed; the best becomes the tuned column of
#                                            # features.tsv by hand)
#   bash bench/defaults/features.sh compare [REGEX]  # each row of features.tsv: default and tuned on validation (reused
#                                            # from grid when measured there) and once on test
#   bash bench/defaults/features.sh table    # the Markdown table
#   bash bench/defaults/features.sh all      # data, grid, compare, table
#
# Protocols (docs/BENCHMARKS.md "Content, hybrid and cold start"):
#   lfm-cold, mpd-cold  cold-items split seed 42, ranking over the test items absent from train.csv (--candidates);
#                       validation = train.csv imported again, cold-items seed 7; items = `export --format items`
#                       restricted to the items of the file the split was made from
#   lfm-warm, mpd-warm  random 20% seed 42 (Last.fm: --kcore-users 5); validation = train.csv re-imported, random
#                       seed 7; items restricted to the training items (the ranking `ease` sees)
#   mpd-title           playlist-continuation seed 42; the 0-seed (title-only) test playlists, lists of 500 from
#                       `recommend --titles`, `eval --recs`; validation = train.csv re-imported (positions kept),
#                       playlist-continuation seed 7, titles joined from playlists.csv
# SEGUE (default build-feat/segue), OUT (default /tmp/segue-featdefaults). One thread, nice 15 (shared machine).
# Nothing is chosen on a test split: `compare` reads each test split once per spec.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
segue=${SEGUE:-$root/build-feat/segue}
out=${OUT:-/tmp/segue-featdefaults}
mpd_dir=${MPD:-/work/shared/data/mpd-subset}
specs=$root/bench/defaults/features.tsv
grid=$root/bench/defaults/features-grid.tsv
mkdir -p "$out/cache"
run() { nice -n 15 "$segue" "$@"; }
export OMP_WAIT_POLICY=PASSIVE

restrict() {  # restrict ITEMS.csv TRAIN.csv OUT: the item rows whose id is an item of TRAIN.csv (column 2)
  awk -F, 'NR==FNR { if (FNR > 1) keep[$2] = 1; next } FNR == 1 || ($1 in keep)' "$2" "$1" >"$3"
}
cold_list() {  # cold_list DIR: DIR/cold.txt = the test items absent from DIR/train.csv
  awk -F, 'NR==FNR { if (FNR > 1) seen[$2] = 1; next } FNR > 1 && !($2 in seen) && !($2 in done) { print $2; done[$2] = 1 }' \
      "$1/train.csv" "$1/test.csv" >"$1/cold.txt"
}
reimport() {  # reimport TRAIN.csv STORE [extra import options]
  local train=$1 store=$2; shift 2
  run import --format csv --input "$train" --out "$store" --user-col user_id --item-col item_id --weight-col weight "$@"
}
title_only() {  # title_only SPLITDIR NAMES.csv: DIR/t0.csv (user_id,name of the 0-seed playlists), DIR/test0.csv
  python3 - "$1" "$2" <<'EOF'
import csv, sys
d, names_path = sys.argv[1], sys.argv[2]
names = {r["user_id"]: r["name"] for r in csv.DictReader(open(names_path, newline="", encoding="utf-8"))}
rows = [r for r in csv.DictReader(open(f"{d}/test_playlists.csv", newline="", encoding="utf-8")) if r["num_seed"] == "0"]
ids = {r["user_id"] for r in rows}
with open(f"{d}/t0.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["user_id", "name"])
    for r in rows:
        w.writerow([r["user_id"], names.get(r["user_id"], r.get("name", ""))])
with open(f"{d}/test.csv", newline="", encoding="utf-8") as f, open(f"{d}/test0.csv", "w", newline="", encoding="utf-8") as g:
    r = csv.reader(f)
    w = csv.writer(g)
    w.writerow(next(r))
    for row in r:
        if row[0] in ids:
            w.writerow(row)
print(f"{d}: {len(rows)} title-only test playlists")
EOF
}

# protocol -> "TRAIN TEST VTRAIN VTEST ITEMS VITEMS CANDS VCANDS" (- where unused)
paths() {
  case $1 in
    lfm-cold | mpd-cold)
      local d=$out/${1%-cold}
      echo "$d/cold/train.csv $d/cold/test.csv $d/coldval/train.csv $d/coldval/test.csv $d/items_cold.csv" \
           "$d/items_coldval.csv $d/cold/cold.txt $d/coldval/cold.txt" ;;
    lfm-warm | mpd-warm)
      local d=$out/${1%-warm}
      echo "$d/split/train.csv $d/split/test.csv $d/val/train.csv $d/val/test.csv $d/items_warm.csv" \
           "$d/items_val.csv - -" ;;
    mpd-title)
      echo "$out/mpd/pc/train.csv $out/mpd/pc/test0.csv $out/mpd/pcval/train.csv $out/mpd/pcval/test0.csv - - - -" ;;
  esac
}

evaluate() {  # evaluate PROTO val|test SPEC JSON
  local proto=$1 which=$2 spec=$3 json=$4 train test vtrain vtest items vitems cands vcands
  read -r train test vtrain vtest items vitems cands vcands <<<"$(paths "$proto")"
  if [ "$which" = val ]; then train=$vtrain test=$vtest items=$vitems cands=$vcands; fi
  local log=${json%.json}.log
  if [ "$proto" = mpd-title ]; then
    local dir model=${json%.json}.model recs=${json%.json}.recs.csv
    dir=$(dirname "$test")
    run train --train "$train" --user-names "$out/mpd/names.csv" --model "$spec" --threads 1 --out "$model" >"$log" 2>&1
    run recommend --model "$model" --titles "$dir/t0.csv" --n 500 --out "$recs" >>"$log" 2>&1
    run eval --recs "$recs" --test "$test" --metrics ndcg@10,recall@20 --bootstrap 0 \
        --json "$json" >>"$log" 2>&1
    rm -f "$model"
    return
  fi
  local extra=()
  [ "$items" != - ] && extra+=(--items "$items")
  [ "$cands" != - ] && extra+=(--candidates "$cands")
  run eval --train "$train" --test "$test" "${extra[@]}" --model "$spec" --metrics ndcg@10,recall@20 --bootstrap 0 \
      --threads 1 --json "$json" >"$log" 2>&1
}

ndcg() { python3 -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["results"][0]["metrics"]["ndcg@10"])' "$1"; }
key() { printf '%s' "$1|$2" | md5sum | cut -c1-12; }

case ${1:-} in
  data)
    # Last.fm: store, items, cold-items and random splits, their carves
    run import --format lastfm --input "$root/data/lastfm-hetrec-2k" --out "$out/lfm/store" --kcore-users 5
    run import --format mpd --input "$mpd_dir" --out "$out/mpd/store"
    for d in lfm mpd; do
      run export "$out/$d/store" --format items --out "$out/$d/items_all.csv"
      run split "$out/$d/store" --method cold-items --seed 42 --out "$out/$d/cold"
      run split "$out/$d/store" --method random --seed 42 --out "$out/$d/split"
      cold_list "$out/$d/cold"
      cp "$out/$d/items_all.csv" "$out/$d/items_cold.csv"  # cold items must be in the id space
      restrict "$out/$d/items_all.csv" "$out/$d/split/train.csv" "$out/$d/items_warm.csv"
      reimport "$out/$d/cold/train.csv" "$out/$d/coldstore"
      run split "$out/$d/coldstore" --method cold-items --seed 7 --out "$out/$d/coldval"
      cold_list "$out/$d/coldval"
      restrict "$out/$d/items_all.csv" "$out/$d/cold/train.csv" "$out/$d/items_coldval.csv"
      reimport "$out/$d/split/train.csv" "$out/$d/trainstore"
      run split "$out/$d/trainstore" --method random --seed 7 --out "$out/$d/val"
      restrict "$out/$d/items_all.csv" "$out/$d/val/train.csv" "$out/$d/items_val.csv"
    done
    # mpd-subset titles: playlist continuation and its carve
    python3 - "$mpd_dir/playlists.csv" "$out/mpd/names.csv" <<'EOF'
import csv, sys
with open(sys.argv[1], newline="", encoding="utf-8") as f, open(sys.argv[2], "w", newline="", encoding="utf-8") as g:
    w = csv.writer(g)
    w.writerow(["user_id", "name"])
    for r in csv.DictReader(f):
        w.writerow([r["pid_global"], r["name"]])
EOF
    run split "$out/mpd/store" --method playlist-continuation --seed 42 --out "$out/mpd/pc"
    title_only "$out/mpd/pc" "$out/mpd/names.csv"
    reimport "$out/mpd/pc/train.csv" "$out/mpd/pcstore" --position-col position
    run split "$out/mpd/pcstore" --method playlist-continuation --seed 7 --out "$out/mpd/pcval"
    title_only "$out/mpd/pcval" "$out/mpd/names.csv"
    ;;
  grid)
    grep -v '^#' "$grid" | while IFS=$'\t' read -r proto spec; do
      [ -z "$proto" ] && continue
      [[ "$proto $spec" =~ ${2:-.} ]] || continue
      json=$out/cache/$(key "$proto" "$spec").json
      [ -s "$json" ] || evaluate "$proto" val "$spec" "$json"
      printf '%s\t%s\t%s\n' "$proto" "$(ndcg "$json")" "$spec" | tee -a "$out/grid.log"
    done
    ;;
  compare)
    grep -v '^#' "$specs" | while IFS=$'\t' read -r proto model default tuned; do
      [ -z "$proto" ] && continue
      [[ "$proto-$model" =~ ${2:-.} ]] || continue
      for which in default tuned; do
        spec=$default; [ $which = tuned ] && spec=$tuned
        cached=$out/cache/$(key "$proto" "$spec").json
        [ -s "$cached" ] || evaluate "$proto" val "$spec" "$cached"
        cp "$cached" "$out/$proto-$model-val-$which.json"
        [ -s "$out/$proto-$model-test-$which.json" ] ||
          evaluate "$proto" test "$spec" "$out/$proto-$model-test-$which.json"
        echo "$proto $model $which: val $(ndcg "$cached") test $(ndcg "$out/$proto-$model-test-$which.json")"
      done
    done
    ;;
  table)  # the Markdown table: NDCG@10 of default and tuned on validation and test, the ratio on validation
    python3 - "$out" "$specs" <<'EOF'
import csv, json, os, sys
out, specs = sys.argv[1], sys.argv[2]
def ndcg(path):
    return json.load(open(path))["results"][0]["metrics"]["ndcg@10"] if os.path.exists(path) else None
fmt = lambda v: "–" if v is None else f"{v:.4f}"
print("| protocol | model | default | tuned (validation) | val default | val tuned | default / tuned | test default | "
      "test tuned | > 5% below? |")
print("|---|---|---|---|---|---|---|---|---|---|")
with open(specs) as f:
    for proto, model, default, tuned in csv.reader((l for l in f if l.strip() and not l.startswith("#")),
                                                   delimiter="\t"):
        vd, vt = ndcg(f"{out}/{proto}-{model}-val-default.json"), ndcg(f"{out}/{proto}-{model}-val-tuned.json")
        td, tt = ndcg(f"{out}/{proto}-{model}-test-default.json"), ndcg(f"{out}/{proto}-{model}-test-tuned.json")
        ratio = f"{vd / vt:.3f}" if vd is not None and vt else "–"
        bad = "–" if ratio == "–" else ("**yes**" if vd < 0.95 * vt else "no")
        print(f"| {proto} | {model} | `{default}` | `{tuned}` | {fmt(vd)} | {fmt(vt)} | {ratio} | {fmt(td)} | {fmt(tt)} | {bad} |")
EOF
    ;;
  all) for s in data grid compare table; do bash "$0" $s; done ;;
  *) sed -n '2,25p' "$0"; exit 2 ;;
esac
