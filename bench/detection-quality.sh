#!/usr/bin/env bash
# `hopscope eval`'s full table (hopper vs the unseen-edge rule) on ntt-2019 and on the generic
# scenario with 50 intrusions, three seeds each, in the simulator's default world: to read one
# case closely. The figures docs/detection.md#detection-quality shows come from
# bench/detection-matrix.sh (every world, both attackers).
#
#   bench/detection-quality.sh [OUT_DIR]      (HOPSCOPE=path/to/hopscope to pick a binary)
set -euo pipefail
B=${HOPSCOPE:-target/release/hopscope}
OUT=${1:-$(mktemp -d)}
source "$(dirname "$0")/eval-case.sh"
run() { # name, simulate args...
  local name=$1; shift
  make_case "$name" "$@"
  local t0=$(date +%s.%N)
  "$B" eval --case "$OUT/$name/case" --truth "$OUT/$name/fleet/truth.json" --json > "$OUT/$name/eval.json"
  local t1=$(date +%s.%N)
  echo "== $name ($*): eval (both rules, every budget) in $(echo "$t1 - $t0" | bc) s"
  "$B" eval --case "$OUT/$name/case" --truth "$OUT/$name/fleet/truth.json"
  echo
}
for seed in 2019 7 42; do run "ntt-$seed" --scenario ntt-2019 --seed "$seed"; done
for seed in 2019 7 42; do run "generic-50-$seed" --scenario generic --intrusions 50 --scale 1 --seed "$seed"; done
# why an intrusion was missed, login by login:
#   "$B" eval --case "$OUT/generic-50-2019/case" --truth "$OUT/generic-50-2019/fleet/truth.json" --misses
echo "outputs in $OUT"
