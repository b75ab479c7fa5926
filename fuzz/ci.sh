#!/usr/bin/env bash
# A short coverage-guided fuzz run of every target (default 10 s each): fails when any input
# makes a target crash (a panic, an overflow, a failed invariant). Installs cargo-afl (which
# builds AFL++ from its crate, with the machine's C compiler) when it is missing, builds the
# targets, seeds them from ../shared/corpus (fuzz/seed.sh) and runs one fuzzer at a time.
#
#   bash fuzz/ci.sh                 # every target, 10 s each
#   FUZZ_SECONDS=60 FUZZ_PROFILE=release bash fuzz/ci.sh sshd evtx
#
# A crash is kept in $FUZZ_OUT/<target>/default/crashes/; reproduce it with
#   fuzz/target/ci/hopscope-fuzz <target> < that-file
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
secs="${FUZZ_SECONDS:-10}"
work="${FUZZ_OUT:-/tmp/hopscope-fuzz/ci}"
start=$(date +%s)

echo "== cargo-afl (AFL++ for the stable toolchain)"
if ! command -v cargo-afl >/dev/null 2>&1; then
  cargo install cargo-afl --locked --version 0.18.2
fi
# builds AFL++ unless it is built for this toolchain already (then it refuses: fine)
if ! msg=$(cargo afl config --build 2>&1); then
  if ! grep -q "already built" <<<"$msg"; then
    echo "$msg" >&2
    exit 1
  fi
fi
echo "cargo-afl ready after $(($(date +%s) - start)) s"

# not --locked: fuzz/Cargo.lock follows the workspace's crates, and a dependency they add is
# resolved here rather than failing CI until the fuzz lock file is updated
echo "== build the fuzz targets (profile ci: unoptimised, overflow checks and assertions on)"
(cd "$here" && cargo fmt --check && cargo afl build --profile "${FUZZ_PROFILE:-ci}" -q)
bin="$here/target/${FUZZ_PROFILE:-ci}/hopscope-fuzz"
echo "built after $(($(date +%s) - start)) s"

echo "== seeds"
rm -rf "$work"
mkdir -p "$work/out"
FUZZ_BIN="$bin" bash "$here/seed.sh" "$work/seeds"

if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <("$bin" --list | cut -f1); fi
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_QUIET=1
# where the targets write their inputs as files (memory when /dev/shm exists); removed at the end
shm=/dev/shm; [ -d "$shm" ] || shm="$work"
export HOPSCOPE_FUZZ_SCRATCH="$shm/hopscope-fuzz-ci.$$"
mkdir -p "$HOPSCOPE_FUZZ_SCRATCH"
trap 'rm -rf "$HOPSCOPE_FUZZ_SCRATCH"' EXIT
failed=()
printf '%-12s %8s %10s %8s %6s %6s\n' target seconds execs exec/s crashes hangs
for t in "${targets[@]}"; do
  # -t: a single input taking over 10 s is a hang (the machine is shared and slow)
  cargo afl fuzz -V "$secs" -t 10000 -i "$work/seeds/$t" -o "$work/out/$t" -- "$bin" "$t" \
    >"$work/$t.log" 2>&1 || { echo "afl-fuzz failed on $t:" >&2; tail -n 8 "$work/$t.log" >&2; failed+=("$t"); continue; }
  stats="$work/out/$t/default/fuzzer_stats"
  get() { awk -F' *: *' -v k="$1" '$1==k {print $2}' "$stats"; }
  crashes=$(find "$work/out/$t/default/crashes" -name 'id:*' | wc -l)
  hangs=$(find "$work/out/$t/default/hangs" -name 'id:*' | wc -l)
  printf '%-12s %8s %10s %8s %6s %6s\n' "$t" "$(get run_time)" "$(get execs_done)" "$(get execs_per_sec)" "$crashes" "$hangs"
  if [ "$crashes" -gt 0 ]; then
    failed+=("$t")
    for c in "$work/out/$t/default/crashes"/id:*; do
      echo "-- $t crash $c:" >&2
      "$bin" "$t" <"$c" 2>&1 | grep -A 4 -m 1 panicked >&2 || true
    done
  fi
done
echo "fuzzing done after $(($(date +%s) - start)) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz targets that crashed or did not run: ${failed[*]}" >&2
  exit 1
fi
echo "0 crashes"
