#!/usr/bin/env bash
# Regenerates captures/ from captures/golden.txt: each capture with `rehearse synth`, and its expected
# `rehearse inspect --json` output as captures/NAME.inspect.json. Run after an intended change to
# synth or to the inspect report, and review the diff.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --product rehearse >/dev/null
bin=.build/release/rehearse
grep -v '^#' captures/golden.txt | while read -r name args; do
  [ -n "$name" ] || continue
  # shellcheck disable=SC2086
  "$bin" synth --output "captures/$name" $args >/dev/null
  "$bin" inspect --json "captures/$name" > "captures/$name.inspect.json"
  echo "captures/$name: $(stat -c %s "captures/$name") bytes"
done
