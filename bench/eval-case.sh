# Sourced by the eval benchmarks (detection-quality.sh, entry-points.sh): make_case NAME
# [simulate args...] simulates a fleet into $OUT/NAME/fleet and ingests it into $OUT/NAME/case
# with the binary $B.
make_case() {
  local name=$1; shift
  rm -rf "$OUT/$name"
  "$B" simulate --out "$OUT/$name/fleet" "$@" >/dev/null 2>&1
  "$B" ingest "$OUT/$name/fleet/logs" --inventory "$OUT/$name/fleet" --case "$OUT/$name/case" >/dev/null 2>&1
}
