#!/usr/bin/env bash
# Load test of the home page (docs/BENCHMARKS.md, "Home page over HTTP"):
# mpd-subset, ials:factors=64 on the random split's train.csv, `segue serve`
# with the event database (every page logged: up to 8 shelves x 10 cards from
# bench/serve/home_shelves_mpd.json — mpd has neither timestamps nor friends,
# so three "because you played" shelves stand in for hour/friends/new), wrk
# replaying the split's training listeners (bench/serve/home.lua: home pages,
# and 30% of pages answered by a play of one of their cards with its impression id).
# Usage: bench/serve/home.sh [BUILD_DIR] [WORK_DIR]   (needs wrk)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
work=${2:-/tmp/segue-home-bench}
seconds=${SECONDS_PER_RUN:-20}
segue=$build/segue
shared=${SHARED:-../shared/data}
mkdir -p "$work"
[ -d "$work/mpd" ] || $segue import --format mpd --input "$shared/mpd-subset" --out "$work/mpd" >/dev/null
[ -d "$work/mpd-split" ] || $segue split "$work/mpd" --method random --seed 42 --out "$work/mpd-split" >/dev/null
[ -f "$work/ials.model" ] || $segue train --train "$work/mpd-split/train.csv" --model ials:factors=64 --out "$work/ials.model" >/dev/null
tail -n +2 "$work/mpd-split/train.csv" | cut -d, -f1 | sort -u > "$work/users"
head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$work/token"
port=${PORT:-18090}

# run POLICY THREADS CONNECTIONS
run() {
  local policy=$1 threads=$2 connections=$3
  rm -f "$work/events.sqlite"*
  $segue serve --model "$work/ials.model" --data "$work/mpd" --port $port --threads "$threads" \
    --token-file "$work/token" --events "$work/events.sqlite" --durability normal --home-policy "$policy" \
    --home-shelf-policy "$policy" --home-shelves "${SHELVES:-bench/serve/home_shelves_mpd.json}" 2> "$work/serve.log" &
  local pid=$!
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.05; done
  curl -sf "http://127.0.0.1:$port/v1/users/$(head -1 "$work/users")/home" >/dev/null  # builds the home index
  local result=$(USERS="$work/users" TOKEN=$(cat "$work/token") \
    wrk -t1 -c"$connections" -d"${seconds}s" -s bench/serve/home.lua "http://127.0.0.1:$port" | tail -1)
  local server=$(curl -s "http://127.0.0.1:$port/metrics" | awk -F'[ ]' '
    /segue_request_duration_seconds_bucket\{endpoint="home",le="0.005"\}/ {a=$2}
    /segue_request_duration_seconds_bucket\{endpoint="home",le="0.01"\}/ {b=$2}
    /segue_request_duration_seconds_count\{endpoint="home"\}/ {n=$2}
    /segue_request_duration_seconds_count\{endpoint="events"\}/ {e=$2}
    END {if (n > 0) printf "{\"pages\": %d, \"plays\": %d, \"within_5ms\": %.4f, \"within_10ms\": %.4f}", n, e, a/n, b/n; else printf "{}"}')
  kill -TERM $pid; wait $pid || true
  local logged=$($segue logs export --db "$work/events.sqlite" --out "$work/log.csv" 2>&1 | head -1)
  echo "{\"policy\": \"$policy\", \"threads\": $threads, \"connections\": $connections, \"server\": $server, \"wrk\": $result, \"log\": \"$logged\"}"
}

echo "# $(date -u +%FT%TZ) $(uptime)"
for policy in ${POLICIES:-egreedy:epsilon=0.1 uniform}; do
  for c in ${CONNECTIONS:-1 2 4}; do run "$policy" 2 "$c"; done
done
