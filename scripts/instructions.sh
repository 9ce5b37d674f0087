#!/usr/bin/env bash
# Instruction counts (valgrind --tool=callgrind) of the hot paths at two revisions, side by side, with
# the after/before ratio: counts do not move with the host's noise, so a change to a hot path is checked
# here first (docs/performance.md). Each revision is checked out into .build-instr/<rev> and built in
# release (the static runtime, as make build) with the Benchmarks probes.
#   scripts/instructions.sh BEFORE_REV [AFTER_REV=HEAD]
# Inputs: a 1 M-packet OMD-D capture (synth --packets 1000000 --rate 200000 --channels 8 --seed 42, lines A
# and B) and a 200 k-packet line-A one for the replay sender. Figures:
#   reader walk       whole process of Benchmarks' reader-walk (open + walk + OMD header)
#   inspect 1 thread  whole process of `rehearse inspect --threads 1 --json`
#   inspect 2 threads per thread of `rehearse inspect --threads 2 --json` (reading thread, OMD worker)
#   feed matcher      FeedMatcher.account, inclusive, in Benchmarks' match-cost over the capture
#   live comparator   LiveComparator.process, inclusive, in Benchmarks' live-compare over lines A and B
#   offline compare   whole process of `rehearse compare A B --json`, the capture's lines split by tcpdump
#                     into two files (both passes, the merge by time, the pairing window)
#   replay sender     the sending thread of `rehearse replay --max` to a local listener
set -euo pipefail
cd "$(dirname "$0")/.."
before=${1:?usage: scripts/instructions.sh BEFORE_REV [AFTER_REV]}
after=${2:-HEAD}
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)"; exit 2; }
work=.build-instr
mkdir -p "$work"
build() {  # rev → directory with release rehearse and probes
  local rev=$1 dir="$work/$(git rev-parse --short "$1")"
  if [ ! -d "$dir" ]; then git worktree add -f --detach "$dir" "$rev" >/dev/null; fi
  (cd "$dir" && swift build -c release --static-swift-stdlib --product rehearse >/dev/null)
  for p in reader-walk match-cost live-compare; do
    if [ -d "$dir/Benchmarks/Sources/$p" ]; then (cd "$dir/Benchmarks" && swift build -c release --product "$p" >/dev/null); fi
  done
  echo "$dir"
}
A=$(build "$before"); B=$(build "$after")
data="$work/data"; mkdir -p "$data"
cap="$data/omd-1m.pcap"; cap2="$data/omd-200k.pcap"
[ -f "$cap" ] || "$B/.build/release/rehearse" synth -o "$cap" --packets 1000000 --rate 200000 --channels 8 --seed 42 >/dev/null
capA="$data/omd-1m-a.pcap"; capB="$data/omd-1m-b.pcap"
command -v tcpdump >/dev/null || apt-get install -y -qq tcpdump >/dev/null
[ -f "$capA" ] || tcpdump -q --time-stamp-precision=nano -r "$cap" -w "$capA" 'dst net 239.1.1.0/24' 2>/dev/null
[ -f "$capB" ] || tcpdump -q --time-stamp-precision=nano -r "$cap" -w "$capB" 'dst net 239.1.2.0/24' 2>/dev/null
[ -f "$cap2" ] || "$B/.build/release/rehearse" synth -o "$cap2" --packets 200000 --rate 200000 --channels 8 --seed 42 --lines A >/dev/null
stripped() {  # valgrind rejects Swift's debug info: count a stripped copy
  local out="$data/$(basename "$2")-$1"; cp "$2" "$out"; strip -g "$out"; echo "$out"
}
total() { valgrind --tool=callgrind --callgrind-out-file="$data/cg.$1" "${@:2}" >/dev/null 2>"$data/vg.$1"
          grep -o "Collected : [0-9]*" "$data/vg.$1" | awk '{print $3}'; }
function_cost() {  # inclusive Ir of the first function whose symbol matches $2
  valgrind --tool=callgrind --callgrind-out-file="$data/cg.$1" "${@:3}" >/dev/null 2>"$data/vg.$1"
  callgrind_annotate --inclusive=yes "$data/cg.$1" | grep -E "$2" | head -1 | awk '{gsub(",","",$1); print $1}'; }
threads() {  # Ir per thread, largest first
  valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$data/cgt.$1" "${@:2}" >/dev/null 2>"$data/vg.$1"
  for f in "$data"/cgt."$1"-*; do grep '^summary' "$f" | awk '{print $2}'; done | sort -rn | tr '\n' ' '; }
declare -A result
for side in A B; do
  dir=${!side}
  r=$(stripped "$side" "$dir/.build/release/rehearse")
  result[$side.walk]=$(total "walk.$side" "$(stripped "$side" "$dir/Benchmarks/.build/release/reader-walk")" "$cap" 1)
  result[$side.inspect1]=$(total "inspect1.$side" "$r" inspect --threads 1 --json "$cap")
  result[$side.inspect2]=$(threads "inspect2.$side" "$r" inspect --threads 2 --json "$cap")
  result[$side.compare]=$(total "compare.$side" "$r" compare "$capA" "$capB" --json)
  result[$side.matcher]=$(function_cost "match.$side" 'FeedMatcher.*account' "$(stripped "$side" "$dir/Benchmarks/.build/release/match-cost")" "$cap" 1)
  if [ -x "$dir/Benchmarks/.build/release/live-compare" ]; then
    result[$side.live]=$(function_cost "live.$side" 'LiveComparator.*process' "$(stripped "$side" "$dir/Benchmarks/.build/release/live-compare")" "$cap" 1)
  fi
  port=$((20000 + RANDOM % 10000))
  "$B/.build/release/rehearse" listen --on "127.0.0.1:$port-$((port + 7))" --duration 900s >/dev/null 2>&1 &
  sink=$!; sleep 0.5
  result[$side.replay]=$(threads "replay.$side" "$r" replay "$cap2" --to "each=127.0.0.1:$port" --max --json)
  kill -INT $sink; wait $sink 2>/dev/null || true
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.4f", b / a; else print "-" }'; }
first() { echo "$1" | awk '{print $1}'; }
echo "instructions (callgrind): $before → $after"
printf '%-26s %16s %16s %8s\n' "hot path" "$before" "$after" "ratio"
for k in walk inspect1 compare matcher live; do
  printf '%-26s %16s %16s %8s\n' "$k" "${result[A.$k]:--}" "${result[B.$k]:--}" "$(ratio "${result[A.$k]:-0}" "${result[B.$k]:-0}")"
done
for k in inspect2 replay; do
  a=$(first "${result[A.$k]}"); b=$(first "${result[B.$k]}")
  printf '%-26s %16s %16s %8s   (busiest thread; all: %s| %s)\n' "$k" "$a" "$b" "$(ratio "$a" "$b")" "${result[A.$k]}" "${result[B.$k]}"
done
