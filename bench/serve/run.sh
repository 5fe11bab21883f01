#!/usr/bin/env bash
# Load test of `segue serve` on real data (docs/BENCHMARKS.md, "The service"):
# replays the training listeners of a split with wrk (bench/serve/load.lua:
# 90% recommendation requests, 10% event batches of 10; and recommendations
# only) against
#   mpd-subset, ials:factors=64 — --ann hnsw and exact, 1 and 2 server threads;
#   Last.fm, itemknn and ease (exact scoring), 2 server threads.
# Also: start-up time (launch -> /healthz 200), RSS, and with SOAK=600 a soak.
# Usage: bench/serve/run.sh [BUILD_DIR] [WORK_DIR]   (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
work=${2:-/tmp/segue-serve-bench}
seconds=${SECONDS_PER_RUN:-20}
segue=$build/segue
shared=${SHARED:-../shared/data}
mkdir -p "$work"
[ -d "$work/mpd" ] || $segue import --format mpd --input "$shared/mpd-subset" --out "$work/mpd" >/dev/null
[ -d "$work/mpd-split" ] || $segue split "$work/mpd" --method random --seed 42 --out "$work/mpd-split" >/dev/null
[ -f "$work/ials.model" ] || $segue train --train "$work/mpd-split/train.csv" --model ials:factors=64 --out "$work/ials.model" >/dev/null
[ -d "$work/lastfm" ] || $segue import --format lastfm --input "$shared/lastfm-hetrec-2k" --out "$work/lastfm" --kcore-users 5 >/dev/null
[ -d "$work/lastfm-split" ] || $segue split "$work/lastfm" --method random --seed 42 --out "$work/lastfm-split" >/dev/null
for m in itemknn ease; do
  [ -f "$work/$m.model" ] || $segue train --train "$work/lastfm-split/train.csv" --model $m --out "$work/$m.model" >/dev/null
done
ids() { tail -n +2 "$1" | cut -d, -f"$2" | sort -u; }
ids "$work/mpd-split/train.csv" 1 > "$work/mpd.users"; ids "$work/mpd-split/train.csv" 2 > "$work/mpd.items"
ids "$work/lastfm-split/train.csv" 1 > "$work/lastfm.users"; ids "$work/lastfm-split/train.csv" 2 > "$work/lastfm.items"
head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$work/token"
port=${PORT:-18080}

# serve LABEL MODEL STORE DATASET ANN THREADS [DURATION]
serve() {
  local label=$1 model=$2 store=$3 data=$4 ann=$5 threads=$6 duration=${7:-$seconds}
  rm -f "$work/events.sqlite"*
  local start=$(date +%s.%N)
  $segue serve --model "$model" --data "$store" --port $port --threads "$threads" --ann "$ann" \
    --token-file "$work/token" --events "$work/events.sqlite" --durability ${DURABILITY:-normal} 2> "$work/serve.log" &
  local pid=$!
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.02; done
  local ready=$(echo "$(date +%s.%N) - $start" | bc)
  local rss_start=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
  local result=$(USERS="$work/$data.users" ITEMS="$work/$data.items" TOKEN=$(cat "$work/token") EVENT_SHARE=$share \
    wrk -t1 -c"$threads" -d"${duration}s" -s bench/serve/load.lua "http://127.0.0.1:$port" | tail -1)
  local rss_end=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
  local server=$(curl -s "http://127.0.0.1:$port/metrics" | awk -F'[ ]' '
    /segue_request_duration_seconds_bucket\{endpoint="recommendations",le="0.001"\}/ {a=$2}
    /segue_request_duration_seconds_bucket\{endpoint="recommendations",le="0.002"\}/ {b=$2}
    /segue_request_duration_seconds_count\{endpoint="recommendations"\}/ {n=$2}
    END {if (n > 0) printf "{\"recommendations\": %d, \"within_1ms\": %.4f, \"within_2ms\": %.4f}", n, a/n, b/n; else printf "{}"}')
  kill -TERM $pid; wait $pid || true
  # The server's own histogram of recommendation requests (without client and queueing time).
  echo "{\"run\": \"$label\", \"event_share\": $share, \"ann\": \"$ann\", \"threads\": $threads, \"startup_s\": $ready, \"rss_start_kb\": $rss_start, \"rss_end_kb\": $rss_end, \"server\": $server, \"wrk\": $result}"
}

echo "# $(date -u +%FT%TZ) $(uptime)"
# EVENT_SHARE=0: recommendation requests only (the latency targets); 0.1: the 90/10 mix with event batches.
for share in ${SHARES-0 0.1}; do  # SHARES= (empty): only the soak
  for ann in hnsw exact; do
    for threads in 1 2; do serve "mpd ials64" "$work/ials.model" "$work/mpd" mpd $ann $threads; done
  done
  for m in itemknn ease; do serve "lastfm $m" "$work/$m.model" "$work/lastfm" lastfm exact 2; done
done
# SOAK=600: ten minutes of the 90/10 mix on the factor model, RSS at start and end.
share=0.1
if [ -n "${SOAK:-}" ]; then serve "soak mpd ials64" "$work/ials.model" "$work/mpd" mpd hnsw 2 "$SOAK"; fi
