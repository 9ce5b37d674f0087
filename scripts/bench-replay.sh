#!/usr/bin/env bash
# Side-by-side replay measurements on loopback (../shared/bench/METHOD.md), interleaved in one run:
#  1. --max: packets/s delivered to a C recvmmsg receiver, for `rehearse replay --max`, the C
#     sendmmsg blaster (udpsend) and `tcpreplay --topspeed -K` on lo;
#  2. ×1 and ×1.5 on a capture averaging 200 k packets/s with bursts: wall time vs the scaled span,
#     packets delivered, and send lateness p50/p99, for `rehearse replay` and the C paced sender;
#  3. the SPSC ring against the C11 ring (same item sizes and capacity);
#  4. peak RSS of a 10-loop replay against a 1-loop one.
#   scripts/bench-replay.sh [ROUNDS] [PACKETS]        (SECTIONS="1 2 3 4 5" selects parts)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
sections=${SECTIONS:-1 2 3 4 5}
want() { [[ " $sections " == *" $1 "* ]]; }
packets=${2:-1000000}
work=${BENCH_DIR:-out/bench}
mkdir -p "$work"
for tool in tcpreplay tcprewrite bc jq; do
  command -v "$tool" >/dev/null || { echo "installing $tool"; apt-get install -y -qq "$( [ $tool = tcprewrite ] && echo tcpreplay || echo $tool )" >/dev/null; }
done
swift build -c release --static-swift-stdlib --product rehearse >/dev/null
(cd Benchmarks && swift build -c release --product spsc-ring >/dev/null)
make -s -C ../shared/bench/c OUT="$PWD/$work/refbin" >/dev/null
R=.build/release/rehearse
ref="$work/refbin"
capture="$work/replay-${packets}.pcap"       # 8 channels, line A, 200 k packets/s average, µs pcap
lo="$work/replay-${packets}-lo.pcap"         # the same rewritten to 127.0.0.1 with zero MACs, for tcpreplay
port=47900
if [ ! -f "$capture" ]; then
  "$R" synth --output "$capture" --packets "$packets" --rate 200000 --channels 8 --lines A --seed 9 --microseconds | tail -2
fi
if [ ! -f "$lo" ]; then
  ports=$(seq 51001 51008 | sed "s/\$/:$port/" | paste -sd,)
  tcprewrite --infile="$capture" --outfile="$lo" --srcipmap=0.0.0.0/0:127.0.0.1 --dstipmap=0.0.0.0/0:127.0.0.1 \
    --enet-smac=00:00:00:00:00:00 --enet-dmac=00:00:00:00:00:00 --portmap="$ports" --fixcsum
fi
old_sysctl=$(sysctl -n net.ipv4.conf.lo.route_localnet net.ipv4.conf.lo.accept_local | paste -sd' ')
sysctl -qw net.ipv4.conf.lo.route_localnet=1 net.ipv4.conf.lo.accept_local=1
restore() { set -- $old_sysctl; sysctl -qw net.ipv4.conf.lo.route_localnet=$1 net.ipv4.conf.lo.accept_local=$2; }
trap restore EXIT

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
# Start the C receiver pinned to CPU 1, run the sender given, print the receiver's line followed by
# sender_wall=SECONDS (the sender's whole process: start-up, loading, sending).
received() {
  local expect=$1; shift
  "$ref/udprecv" $port "$expect" recvmmsg 64 1 300 64 > "$work/recv.out" &
  local pid=$!
  sleep 0.2
  local s e
  s=$(date +%s%N)
  "$@" > "$work/send.out" 2>&1 || true
  e=$(date +%s%N)
  wait $pid || true
  echo "$(grep RECV "$work/recv.out") sender_wall=$(echo "scale=4; ($e - $s) / 1000000000" | bc)"
}
field() { grep -o "$1=[0-9.]*" | head -1 | cut -d= -f2; }

declare -A v
ratio() { paste <(echo ${v[$1]} | tr ' ' '\n') <(echo ${v[$2]} | tr ' ' '\n') | awk 'NF==2 && $2>0 {print $1/$2}' | median; }
# record KEY LINE: the receiver-span rate and delivered packets / sender wall of one run.
record() {
  local got pps wall
  got=$(echo "$2" | field got); pps=$(echo "$2" | field pps); wall=$(echo "$2" | field sender_wall)
  v[max_$1]+="$pps "
  v[whole_$1]+="$(echo "scale=1; $got / $wall" | bc) "
}
if want 1; then
echo "== 1. --max, $packets packets: delivered packets/s over the receiver's first→last packet, and"
echo "   delivered packets / the sender's whole wall time (receiver: C recvmmsg on CPU 1)"
for r in $(seq 1 "$rounds"); do
  a=$(received "$packets" "$R" replay "$capture" --to "*=127.0.0.1:$port" --max --cpu 0)
  b=$(received "$packets" "$ref/udpsend" $port "$packets" 144 sendmmsg 64 0)
  c=$(received "$packets" taskset -c 0 tcpreplay --topspeed -K -q -i lo "$lo")
  record r "$a"; record c "$b"; record t "$c"
  echo "  round $r: receiver-span pps rehearse $(echo ${v[max_r]} | awk '{print $NF}')  C $(echo ${v[max_c]} | awk '{print $NF}')  tcpreplay $(echo ${v[max_t]} | awk '{print $NF}')" \
       "· delivered/sender-wall rehearse $(echo ${v[whole_r]} | awk '{print $NF}')  C $(echo ${v[whole_c]} | awk '{print $NF}')  tcpreplay $(echo ${v[whole_t]} | awk '{print $NF}')"
done
m() { echo ${v[$1]} | tr ' ' '\n' | median; }
echo "  medians, receiver span: rehearse $(m max_r)  C $(m max_c)  tcpreplay $(m max_t) packets/s"
echo "  medians, delivered / sender wall: rehearse $(m whole_r)  C $(m whole_c)  tcpreplay $(m whole_t) packets/s"
echo "  rehearse / tcpreplay: $(ratio max_r max_t) (receiver span), $(ratio whole_r whole_t) (sender wall) (bar ≥ 1.5)"
echo "  rehearse / C pair:    $(ratio max_r max_c) (receiver span), $(ratio whole_r whole_c) (sender wall) (bar ≥ 0.9)"
fi

want 2 && for speed in 1 1.5; do
  echo
  echo "== 2. ×$speed: wall/scaled span, delivered, lateness p50/p99 (µs)"
  for r in $(seq 1 "$rounds"); do
    got=$(received "$packets" "$R" replay "$capture" --to "*=127.0.0.1:$port" --speed $speed --cpu 0 --json | field got)
    j="$work/send.out"
    rw=$(jq -r '(.wallNs / .scheduledNs)' "$j"); rp50=$(jq -r '.lateness.p50 / 1000' "$j"); rp99=$(jq -r '.lateness.p99 / 1000' "$j")
    cgot=$(received "$packets" "$ref/pacedsend" "$capture" $port $speed 64 0 | field got)
    cw=$(field ratio < "$j"); cp50=$(field late_p50 < "$j"); cp99=$(field p99 < "$j")
    v[w_r$speed]+="$rw "; v[p50_r$speed]+="$rp50 "; v[p99_r$speed]+="$rp99 "
    v[w_c$speed]+="$cw "; v[p50_c$speed]+="$cp50 "; v[p99_c$speed]+="$cp99 "
    echo "  round $r: rehearse wall/span $rw got $got p50 $rp50 p99 $rp99 · C pacedsend wall/span $cw got $cgot p50 $cp50 p99 $cp99"
  done
  m() { echo ${v[$1]} | tr ' ' '\n' | median; }
  echo "  medians: rehearse wall/span $(m w_r$speed) p50 $(m p50_r$speed) µs p99 $(m p99_r$speed) µs · C wall/span $(m w_c$speed) p50 $(m p50_c$speed) µs p99 $(m p99_c$speed) µs"
  echo "  lateness ratio rehearse/C: p50 $(ratio p50_r$speed p50_c$speed)  p99 $(ratio p99_r$speed p99_c$speed)  (bar ≤ 1.25; wall within 1% of the span)"
done

if want 3; then
echo
echo "== 3. SPSC ring, 20 M items, capacity 4096, interleaved"
for r in $(seq 1 "$rounds"); do
  c=$("$ref/spsc" 20000000 4096 1 | grep cached)
  s=$(Benchmarks/.build/release/spsc-ring 20000000 4096 1)
  for size in 8 64; do
    v[s_c$size]+="$(echo "$c" | grep "item=${size}B" | field median) "
    v[s_s$size]+="$(echo "$s" | grep "item=${size}B" | field median) "
  done
  echo "  round $r: C 8B $(echo ${v[s_c8]} | awk '{print $NF}') 64B $(echo ${v[s_c64]} | awk '{print $NF}') · Swift 8B $(echo ${v[s_s8]} | awk '{print $NF}') 64B $(echo ${v[s_s64]} | awk '{print $NF}') Mops/s"
done
echo "  Swift/C median of per-round ratios: 8 B $(ratio s_s8 s_c8)  64 B $(ratio s_s64 s_c64)  (bar ≥ 1.0)"
fi

if want 4; then
echo
echo "== 4. peak RSS, --max to the C receiver: 1 loop vs 10 loops"
for loops in 1 10; do
  "$ref/udprecv" $port $((packets * loops)) recvmmsg 64 1 300 64 > /dev/null &
  pid=$!; sleep 0.2
  /usr/bin/time -f "  $loops loop(s): peak RSS %M KB, %e s" "$R" replay "$capture" --to "*=127.0.0.1:$port" --max --loop $loops --cpu 0 > /dev/null
  wait $pid || true
done
fi

if want 5; then
echo
echo "== 5. measuring cost in bench: record + match per message (bar ≤ 100 ns)"
(cd Benchmarks && swift build -c release --product match-cost >/dev/null)
Benchmarks/.build/release/match-cost "$capture" 7
fi
