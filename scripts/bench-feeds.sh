#!/usr/bin/env bash
# Messages per second of `rehearse inspect` on one core for each feed protocol other than OMD (the
# feed-protocols issue asks ≥ 10 M messages/s): a PACKETS-packet capture of each is synthesized
# (8 channels, 1–4 messages per packet), warmed, then the protocols are inspected interleaved for
# ROUNDS rounds with `--threads 1`; the median wall time gives messages/s (the whole inspect: reader,
# decode, streams, peaks and the protocol's sequencing and message types). OMD runs alongside as the
# reference.
#   scripts/bench-feeds.sh [ROUNDS] [PACKETS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
packets=${2:-2000000}
work=${BENCH_DIR:-out/bench}
mkdir -p "$work"
command -v bc >/dev/null || apt-get install -y -qq bc >/dev/null
swift build -c release --static-swift-stdlib --product rehearse >/dev/null
rehearse=.build/release/rehearse
protocols=(moldudp64 iex-tp cboe-pitch nyse-xdp cme-mdp3 eurex-eobi omd)

declare -A messages
for p in "${protocols[@]}"; do
  capture="$work/feed-$p-$packets.pcap"
  if [ ! -f "$capture" ]; then
    if [ "$p" = omd ]; then
      "$rehearse" synth --output "$capture" --packets "$packets" --rate 200000 --channels 8 --seed 42 >/dev/null
    else
      "$rehearse" synth --protocol "$p" --output "$capture" --packets "$packets" --channels 8 --seed 42 >/dev/null
    fi
  fi
  cat "$capture" >/dev/null
  # Messages as inspect counts them (feed messages, or OMD messages).
  messages[$p]=$("$rehearse" inspect --json --threads 1 "$capture" |
    jq '[.files[0].streams[] | (.feed.messages // .omd.messages // 0)] | add')
done

seconds() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo "scale=6; ($e - $s) / 1000000000" | bc; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
declare -A t
for ((r = 1; r <= rounds; r++)); do
  for p in "${protocols[@]}"; do
    t[$p]+="$(seconds "$rehearse" inspect --threads 1 "$work/feed-$p-$packets.pcap") "
  done
done

printf '%-12s %12s %10s %14s\n' protocol messages "median s" "M messages/s"
for p in "${protocols[@]}"; do
  m=$(echo "${t[$p]}" | tr ' ' '\n' | grep . | median)
  printf '%-12s %12s %10.3f %14.1f\n' "$p" "${messages[$p]}" "$m" "$(echo "${messages[$p]} / $m / 1000000" | bc -l)"
done
