#!/usr/bin/env bash
# The accuracy–diversity curve of MMR re-ranking on the embedded Last.fm data:
# `segue eval` of mmr:base=BASE,lambda=L for L = 1.0, 0.9, ..., 0.3 in one run
# (so the HTML report shows every lambda side by side, plus the ndcg@10 against
# ild@10 line chart), then one line per lambda: NDCG@10, ild@10, coverage@10.
#
#   bash bench/diversity_curve.sh [BUILD_DIR] [BASE] [CANDIDATES]
#   defaults: build, itemknn, 100; output under BUILD_DIR/diversity/
#
# ild@10 uses the artists' tags (--items artist_tags.csv: the 5 most given of
# the 200 most used tags, as in docs/METRICS.md). mmr's own similarity is the
# item features when `segue eval` hands them to fit (FitContext::item_features),
# otherwise the base's item factors (ials, bpr) or the items' listener sets.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
base=${2:-itemknn}
candidates=${3:-100}
segue=$build/segue
out=$build/diversity
mkdir -p "$out"
[ -x "$segue" ] || { echo "no $segue: build first (cmake --build $build --target segue)" >&2; exit 1; }
if [ ! -f "$out/split/train.csv" ]; then
  $segue import --format lastfm --input data/lastfm-hetrec-2k --out "$out/lastfm" --kcore-users 5 >/dev/null
  $segue split "$out/lastfm" --method random --seed 42 --out "$out/split" >/dev/null
fi
if [ ! -f "$out/artist_tags.csv" ]; then
  python3 - "$out/artist_tags.csv" <<'PY'
import collections, gzip, sys
def lines(name):
    with gzip.open('data/lastfm-hetrec-2k/' + name, 'rt', encoding='utf-8', errors='replace') as f:
        return f.read().splitlines()[1:]
rows = [l.split('\t') for l in lines('user_taggedartists.dat.gz')]
names = dict(l.split('\t', 1) for l in lines('tags.dat.gz'))
top = {t for t, _ in collections.Counter(r[2] for r in rows).most_common(200)}
per = collections.defaultdict(collections.Counter)
for r in rows:
    if r[2] in top: per[r[1]][r[2]] += 1
with open(sys.argv[1], 'w') as f:
    f.write('item_id,tags\n')
    for a, c in sorted(per.items(), key=lambda x: int(x[0])):
        f.write(a + ',"' + '|'.join(names[t].replace('"', "'") for t, _ in c.most_common(5)) + '"\n')
PY
fi
models=()
for lambda in 1.0 0.9 0.8 0.7 0.6 0.5 0.4 0.3; do
  models+=(--model "mmr:base=$base,lambda=$lambda,candidates=$candidates")
done
$segue eval --train "$out/split/train.csv" --test "$out/split/test.csv" "${models[@]}" \
  --items "$out/artist_tags.csv" --metrics ndcg@10,ild@10,coverage@10 \
  --json "$out/curve.json" --report "$out/curve.html" >"$out/eval.log"
python3 - "$out/curve.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
print(f"{'lambda':>6}  {'ndcg@10':>8}  {'ild@10':>7}  {'coverage@10':>11}  model")
for r in report['results']:
    spec = r.get('params', r.get('model', ''))
    lam = next((kv.split('=')[1] for kv in spec.split(':', 1)[-1].split(',') if kv.startswith('lambda=')), '?')
    m = r['metrics']
    print(f"{lam:>6}  {m.get('ndcg@10', float('nan')):8.4f}  {m.get('ild@10', float('nan')):7.4f}  "
          f"{m.get('coverage@10', float('nan')):11.4f}  {r.get('label', spec)}")
PY
echo "report: $out/curve.html"
