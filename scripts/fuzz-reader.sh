#!/usr/bin/env bash
# Builds the libFuzzer harness Fuzz/ReaderFuzz.swift (reader + decoder + OMD analyzer, with
# AddressSanitizer) and runs it for SECONDS (default 600) on a seed corpus of our own captures,
# truncated and varied. Prints libFuzzer's summary; exits non-zero if it found a crash.
#   scripts/fuzz-reader.sh [SECONDS] [extra libFuzzer flags…]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}; shift || true
out=Fuzz/build; corpus=Fuzz/corpus; artifacts=Fuzz/artifacts
mkdir -p "$out" "$corpus" "$artifacts"
san="-sanitize=fuzzer,address"
cat > "$out/CShims.modulemap" <<MAP
module CShims { header "$PWD/Sources/CShims/include/rh_zlib.h" export * }
MAP
clang -O1 -g -fsanitize=fuzzer-no-link,address -I Sources/CShims/include -c Sources/CShims/rh_zlib.c -o "$out/rh_zlib.o"
common=(-O -g -parse-as-library -wmo $san -Xcc "-fmodule-map-file=$PWD/$out/CShims.modulemap" -I Sources/CPcap -I "$out")
swiftc "${common[@]}" -module-name Capture -emit-module -emit-module-path "$out/Capture.swiftmodule" \
  -c Sources/Capture/*.swift -o "$out/Capture.o"
swiftc "${common[@]}" -module-name MarketData -emit-module -emit-module-path "$out/MarketData.swiftmodule" \
  -c Sources/MarketData/*.swift -o "$out/MarketData.o"
swiftc -O -g $san -parse-as-library -I "$out" -I Sources/CPcap -Xcc "-fmodule-map-file=$PWD/$out/CShims.modulemap" \
  Fuzz/ReaderFuzz.swift "$out/Capture.o" "$out/MarketData.o" "$out/rh_zlib.o" -lz -lpcap -o "$out/fuzz-reader"
# Seeds: the golden captures cut to small sizes, plus a few hand-made headers.
if [ -z "$(ls -A "$corpus")" ]; then
  for f in captures/*.pcap captures/*.pcapng captures/*.gz; do
    for n in 200 600 2000 8000; do head -c $n "$f" > "$corpus/$(basename "$f").$n"; done
  done
  printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00' > "$corpus/pcap-header"
  printf '\x4d\x3c\xb2\xa1\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x00\x71' > "$corpus/pcap-be-ns-sll"
fi
echo "fuzzing for ${seconds}s (corpus $corpus, crashes to $artifacts)"
"$out/fuzz-reader" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$artifacts/" -print_final_stats=1 "$@" "$corpus" 2>&1 | tee "$out/last-run.log" | grep -E "^#[0-9]+.*(DONE|pulse)|stat::|ERROR|SUMMARY|Done" || true
if ls "$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/oom-* >/dev/null 2>&1; then
  echo "FOUND problems:"; ls "$artifacts"; exit 1
fi
