#!/usr/bin/env bash
# rehearse watch under load, on loopback only (127.0.0.1):
#   keep-up  — lines A and B of an 8-channel feed replayed at top speed (the loopback ceiling of
#              METHOD.md) into a watch: its own drops (kernel receive-buffer overflows, counted apart from
#              feed gaps) and the messages it declares missing must both be zero; ROUNDS rounds.
#   soak     — both lines at 100 k messages/s each, looped for SOAK seconds; the watch's RSS sampled
#              every 10 s into out/bench/watch-soak-rss.csv (seconds, KB), first/min/max/last printed.
#   scripts/bench-watch.sh [ROUNDS] [PACKETS]          SECTIONS="keep-up soak" SOAK=3600
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
packets=${2:-2000000}
sections=${SECTIONS:-keep-up soak}
soak=${SOAK:-3600}
work=${BENCH_DIR:-out/bench}
mkdir -p "$work"
command -v jq >/dev/null || apt-get install -y -qq jq >/dev/null
swift build -c release --static-swift-stdlib --product rehearse >/dev/null
R=.build/release/rehearse
base=47000
primary="127.0.0.1:$base-$((base + 7))"; standby="127.0.0.1:$((base + 8))-$((base + 15))"

if [[ " $sections " == *" keep-up "* ]]; then
  feed="$work/watch-feed-$packets.pcap"
  [ -f "$feed" ] || "$R" synth -o "$feed" --packets "$packets" --rate 400000 --channels 8 --seed 31 | tail -1
  cat "$feed" > /dev/null
  for r in $(seq 1 "$rounds"); do
    "$R" watch --primary "$primary" --standby "$standby" --interval 1s --horizon 2s --json --metrics 127.0.0.1:$((base + 20)) \
      > "$work/watch-keepup.json" 2> /dev/null &
    w=$!
    until curl -s -o /dev/null "http://127.0.0.1:$((base + 20))/metrics" 2>/dev/null; do sleep 0.1; done
    "$R" replay "$feed" --to "each=127.0.0.1:$base" --max --json > "$work/watch-replay.json"
    sleep 2.5
    kill -INT $w; wait $w || true
    sent=$(jq '.packets' "$work/watch-replay.json")
    rate=$(jq '.packetsPerSecond | floor' "$work/watch-replay.json")
    jq -r --argjson sent "$sent" --argjson rate "$rate" --arg r "$r" '"  round \($r): sent \($sent) packets at \($rate) pkt/s; watch received \([.channels[] | .primary.packets + .standby.packets] | add), \([.channels[] | .onBoth] | add) messages on both, missing standby \([.channels[] | .missingOnStandby] | add) primary \([.channels[] | .missingOnPrimary] | add), own drops \(.receiveDrops), feed gaps \([.channels[] | .primary.gaps + .standby.gaps] | add)"' \
      "$work/watch-keepup.json"
  done
fi

if [[ " $sections " == *" soak "* ]]; then
  # 20 s of feed: each line carries about 100 k messages/s (A ~3 messages a packet).
  loop="$work/watch-soak-20s.pcap"
  [ -f "$loop" ] || "$R" synth -o "$loop" --duration 20s --rate 74000 --channels 8 --seed 32 | tail -1
  "$R" inspect "$loop" --json | jq -r '.files[0] | "  soak capture: \(.packets) packets in 20 s; messages/s per line: A \([.streams[] | select(.destination | startswith("239.1.1.")) | .omd.messages] | add / 20 | floor), B \([.streams[] | select(.destination | startswith("239.1.2.")) | .omd.messages] | add / 20 | floor)"'
  loops=$(( (soak + 19) / 20 ))
  "$R" watch --primary "$primary" --standby "$standby" --interval 60s --json > "$work/watch-soak.json" 2> "$work/watch-soak.log" &
  w=$!
  sleep 1
  "$R" replay "$loop" --to "each=127.0.0.1:$base" --loop "$loops" --json > "$work/watch-soak-replay.json" &
  p=$!
  echo "seconds,rss_kb" > "$work/watch-soak-rss.csv"
  start=$(date +%s)
  while kill -0 $p 2>/dev/null; do
    echo "$(( $(date +%s) - start )),$(ps -o rss= -p $w | tr -d ' ')" >> "$work/watch-soak-rss.csv"
    sleep 10
  done
  sleep 3
  kill -INT $w; wait $w || true
  awk -F, 'NR==2 {f=$2; mn=$2; mx=$2} NR>1 {if ($2<mn) mn=$2; if ($2>mx) mx=$2; l=$2; t=$1} END {printf "  soak %d s: RSS first %d KB, min %d, max %d, last %d KB\n", t, f, mn, mx, l}' "$work/watch-soak-rss.csv"
  jq -r '"  soak watch: \([.channels[] | .onBoth] | add) messages on both, missing standby \([.channels[] | .missingOnStandby] | add) primary \([.channels[] | .missingOnPrimary] | add), own drops \(.receiveDrops), late \([.channels[] | .lateOnStandby + .lateOnPrimary] | add)"' "$work/watch-soak.json"
fi
