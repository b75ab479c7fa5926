#!/usr/bin/env bash
# Sum AFL++'s fuzzer_stats per target over one or more output directories (each holding
# <target>/default/fuzzer_stats, as fuzz/ci.sh and fuzz/run.sh write them):
#   bash fuzz/stats.sh /tmp/hopscope-fuzz/ci/out /tmp/hopscope-fuzz/long/out
# run_time is AFL++'s wall time of the fuzzing session, execs_done its executions.
set -euo pipefail
printf '%-12s %8s %12s %9s %7s %6s %6s\n' target minutes execs exec/s corpus crashes hangs
for t in $(for d in "$@"; do ls "$d"; done | sort -u); do
  secs=0 execs=0 corpus=0 crashes=0 hangs=0
  for d in "$@"; do
    s="$d/$t/default/fuzzer_stats"
    [ -f "$s" ] || continue
    get() { awk -F' *: *' -v k="$1" '$1==k {print $2}' "$s"; }
    secs=$((secs + $(get run_time)))
    execs=$((execs + $(get execs_done)))
    c=$(get corpus_count)
    [ "$c" -gt "$corpus" ] && corpus=$c
    crashes=$((crashes + $(find "$d/$t/default/crashes" -name 'id:*' | wc -l)))
    hangs=$((hangs + $(find "$d/$t/default/hangs" -name 'id:*' | wc -l)))
  done
  rate=$(awk -v e="$execs" -v s="$secs" 'BEGIN { printf "%.0f", s ? e / s : 0 }')
  printf '%-12s %8.1f %12d %9s %7d %6d %6d\n' "$t" "$(awk -v s="$secs" 'BEGIN{print s/60}')" \
    "$execs" "$rate" "$corpus" "$crashes" "$hangs"
done
