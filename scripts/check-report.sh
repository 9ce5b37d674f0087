#!/usr/bin/env bash
# Renders a run's report.html in headless Chromium and checks that every plot is there and has data:
# the DOM after rendering must hold the expected number of SVG charts, none saying "no data", and every
# drawn series must have points. Keeps a screenshot (default docs/report-pass.png; HEIGHT sets the window height).
#   scripts/check-report.sh [REPORT.html] [SCREENSHOT.png] [EXPECTED_CHARTS]
set -euo pipefail
cd "$(dirname "$0")/.."
report=${1:-$(ls -d out/runs/run-* 2>/dev/null | sort -t- -k2 -n | head -1)/report.html}
shot=${2:-docs/report-pass.png}
expected=${3:-4}
command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
[ -f "$report" ] || { echo "check-report: $report: no such report (run make demo first)" >&2; exit 3; }
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars)
dom=$(chromium "${flags[@]}" --dump-dom "file://$(realpath "$report")" 2>/dev/null)
charts=$(grep -o '<svg class="chart"' <<< "$dom" | wc -l)
empty=$(grep -c 'no data' <<< "$dom" || true)
points=$(grep -o 'data-points="[0-9]*"' <<< "$dom" | grep -o '[0-9]*' || true)
series=$(wc -w <<< "$points")
zero=$(grep -cx 0 <<< "$points" || true)
echo "check-report: $report: $charts charts rendered (expected $expected), $series series, $zero empty series, $empty charts without data"
chromium "${flags[@]}" --window-size=820,${HEIGHT:-2700} --screenshot="$(realpath -m "$shot")" "file://$(realpath "$report")" 2>/dev/null
echo "check-report: screenshot $shot"
[ "$charts" -eq "$expected" ] && [ "$empty" -eq 0 ] && [ "$zero" -eq 0 ] && [ "$series" -gt 0 ]
