#!/usr/bin/env bash
# The detection matrix (docs/detection.md#detection-quality): `hopscope eval` over every world
# the simulator knows (`simulate --list-worlds`) × seeds × both attackers (`--attacker hopper`,
# the Hopper paper's; `--attacker hopscope`, our own), generic scenario, plus the 2019 case
# (ntt-2019) in every world. Prints Markdown: per world and attacker, then the worst world of
# each figure; detection and the unseen-edge rule on the same cases.
#
#   bench/detection-matrix.sh [--quick] [OUT_DIR]
#
#   full:    3 seeds (2019, 7, 42), 120 days, 30 intrusions a case; ntt-2019 over its year
#   --quick: 1 seed (2019), 60 days, 15 intrusions a case; ntt-2019 cut to 200 days (its four
#            hops end 2019-12-14); about 10 minutes on 2 cores with a release build
#
# Environment: HOPSCOPE=path/to/hopscope (default target/release/hopscope); JOBS (at most 2
# cases at once, default 2); KEEP=1 keeps each case's logs and case directory (by default only
# truth.json and eval.json stay, the rest is deleted once evaluated); SEEDS, DAYS, INTRUSIONS
# override the mode's.
set -euo pipefail
QUICK=0
if [[ ${1:-} == --quick ]]; then QUICK=1; shift; fi
B=${HOPSCOPE:-target/release/hopscope}
OUT=${1:-$(mktemp -d)}
JOBS=${JOBS:-2}
((JOBS >= 1 && JOBS <= 2)) || { echo "JOBS must be 1 or 2 (the machine is shared)" >&2; exit 2; }
if ((QUICK)); then
  SEEDS=${SEEDS:-2019}; DAYS=${DAYS:-60}; INTRUSIONS=${INTRUSIONS:-15}; NTT_DAYS=(--days 200)
else
  SEEDS=${SEEDS:-2019 7 42}; DAYS=${DAYS:-120}; INTRUSIONS=${INTRUSIONS:-30}; NTT_DAYS=()
fi
[[ -x $B ]] || { echo "no binary at $B (cargo build --release -p hopscope, or HOPSCOPE=...)" >&2; exit 2; }
mkdir -p "$OUT"
source "$(dirname "$0")/eval-case.sh"

# Worlds and attackers from the binary: a binary without them runs its one world and its one
# attacker ("default").
if WORLDS=$("$B" simulate --list-worlds 2>/dev/null); then
  WORLDS=$(awk 'NF && $1 !~ /^#/ { print $1 }' <<<"$WORLDS" | grep -E '^[A-Za-z0-9][A-Za-z0-9_.-]*$' || true)
else
  WORLDS=""
fi
[[ -n $WORLDS ]] || { echo "note: $B has no --list-worlds; measuring its one world" >&2; WORLDS=default; }
if "$B" simulate --help 2>/dev/null | grep -q -- '--attacker'; then
  ATTACKERS="hopper hopscope"
else
  echo "note: $B has no --attacker; measuring its one attacker" >&2
  ATTACKERS=default
fi

# one case: simulate, ingest, eval --json; NAME KIND WORLD ATTACKER SEED simulate-args...
one() {
  local name=$1 kind=$2 world=$3 attacker=$4 seed=$5; shift 5
  local args=("$@" --seed "$seed")
  [[ $world == default ]] || args+=(--world "$world")
  [[ $attacker == default || $kind == ntt-2019 ]] || args+=(--attacker "$attacker")
  local t0=$SECONDS
  if make_case "$name" "${args[@]}" &&
    "$B" eval --case "$OUT/$name/case" --truth "$OUT/$name/fleet/truth.json" --json \
      >"$OUT/$name/eval.json.part"; then
    mv "$OUT/$name/eval.json.part" "$OUT/$name/eval.json"
    printf '{"name":"%s","kind":"%s","world":"%s","attacker":"%s","seed":%s,"args":"%s","seconds":%s}\n' \
      "$name" "$kind" "$world" "$attacker" "$seed" "${args[*]}" $((SECONDS - t0)) >"$OUT/$name/meta.json"
    echo "  $name: $((SECONDS - t0)) s" >&2
  else
    echo "  $name: FAILED (simulate ${args[*]})" >&2
  fi
  if [[ ${KEEP:-0} != 1 ]]; then
    rm -rf "$OUT/$name/case" "$OUT/$name/fleet/logs"
  fi
}

start=$SECONDS
echo "detection matrix: worlds [$(echo $WORLDS)], attackers [$ATTACKERS], seeds [$SEEDS]," \
  "generic $DAYS days x $INTRUSIONS intrusions, binary $B, into $OUT" >&2
for world in $WORLDS; do
  for seed in $SEEDS; do
    for attacker in $ATTACKERS; do
      while (($(jobs -rp | wc -l) >= JOBS)); do wait -n || true; done
      one "$world-$attacker-$seed" generic "$world" "$attacker" "$seed" \
        --scenario generic --intrusions "$INTRUSIONS" --days "$DAYS" --scale 1 &
    done
    while (($(jobs -rp | wc -l) >= JOBS)); do wait -n || true; done
    one "$world-ntt-$seed" ntt-2019 "$world" default "$seed" --scenario ntt-2019 "${NTT_DAYS[@]}" &
  done
done
wait
echo "all cases in $((SECONDS - start)) s" >&2

commit=$(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo unknown)
mode=$([[ $QUICK == 1 ]] && echo "--quick" || echo "full")
python3 - "$OUT" "$commit" "$mode" "$DAYS" "$INTRUSIONS" "$SEEDS" <<'EOF'
import json, os, sys
from collections import defaultdict

out, commit, mode, days, intrusions, seeds = sys.argv[1:7]
runs = []
for name in sorted(os.listdir(out)):
    meta, ev = os.path.join(out, name, "meta.json"), os.path.join(out, name, "eval.json")
    if os.path.exists(meta) and os.path.exists(ev):
        runs.append((json.load(open(meta)), json.load(open(ev))))
failed = sorted(n for n in os.listdir(out)
                if os.path.isdir(os.path.join(out, n)) and not os.path.exists(os.path.join(out, n, "eval.json")))

def rule(e, name):
    return next(r for r in e["rules"] if r["rule"] == name)

def at(r, b):
    return next(f for f in r["by_budget"] if f["budget"] == b)

def pct(a, b):
    return "—" if b == 0 else f"{100.0 * a / b:.1f} %"

def frac(a, b):
    return 0.0 if b == 0 else a / b

# per (world, attacker): pooled over seeds
rows = defaultdict(lambda: defaultdict(float))
for meta, e in runs:
    if meta["kind"] != "generic":
        continue
    k = rows[(meta["world"], meta["attacker"])]
    k["seeds"] += 1
    for rname, tag in (("hopper", ""), ("unseen-edge", "u_")):
        r = rule(e, rname)
        k[f"{tag}n"] += at(r, 5)["intrusions"]
        for b in (2, 5):
            f = at(r, b)
            k[f"{tag}alerted{b}"] += f["intrusions_alerted"]
            k[f"{tag}apd{b}"] = max(k[f"{tag}apd{b}"], f["alerts_per_day"])
        f = at(r, 5)
        k[f"{tag}mal"] += f["alert_hops_malicious"]
        k[f"{tag}hops"] += f["alert_hops"] + f["hops_omitted"]
        k[f"{tag}largest_hops"] = max(k[f"{tag}largest_hops"], f["largest_alert_hops"])
        k[f"{tag}largest_threads"] = max(k[f"{tag}largest_threads"], f["largest_alert_threads"])
        k[f"{tag}entry"] += f["entry_found"]
        k[f"{tag}entry_of"] += f["intrusions_alerted"]

ntt = defaultdict(lambda: defaultdict(float))
for meta, e in runs:
    if meta["kind"] != "ntt-2019":
        continue
    k = ntt[meta["world"]]
    r = rule(e, "hopper")
    f = at(r, 5)
    case = next((i for i in r["intrusions"] if i["id"] == 1), None)
    k["seeds"] += 1
    k["whole_at_entry"] += bool(case and case["whole_at_entry"])
    k["entry"] += bool(case and case["entry_host_found"] == case["entry_host"])
    k["apd"] = max(k["apd"], f["alerts_per_day"])
    k["largest_hops"] = max(k["largest_hops"], f["largest_alert_hops"])
    k["largest_threads"] = max(k["largest_threads"], f["largest_alert_threads"])

def figures(k):
    return {
        "alerted2": frac(k["alerted2"], k["n"]), "alerted5": frac(k["alerted5"], k["n"]),
        "apd2": k["apd2"], "apd5": k["apd5"],
        "precision": frac(k["mal"], k["hops"]),
        "largest_hops": k["largest_hops"], "largest_threads": k["largest_threads"],
        "entry": frac(k["entry"], k["entry_of"]),
        "u_alerted2": frac(k["u_alerted2"], k["u_n"]), "u_alerted5": frac(k["u_alerted5"], k["u_n"]),
        "u_apd2": k["u_apd2"], "u_apd5": k["u_apd5"],
    }

print(f"Detection matrix, commit {commit}, bench/detection-matrix.sh {mode}: generic scenario, "
      f"{days} days, {intrusions} intrusions a case, scale 1, seeds {seeds}; figures pooled over "
      f"the seeds (alerts a day: the highest seed's; precision, largest alert, entry found at 5 a day).")
print()
print("| world | attacker | alerted at 2/day | at 5/day | alerts/day at 2, 5 | hop precision | "
      "largest alert (hops, threads) | entry found | unseen-edge alerted at 2, 5/day (alerts/day at 5) |")
print("|---|---|---|---|---|---|---|---|---|")
worst = {}
def keep_worst(key, value, world, attacker, higher_is_worse=False):
    cur = worst.get(key)
    if cur is None or (value > cur[0] if higher_is_worse else value < cur[0]):
        worst[key] = (value, f"{world}/{attacker}")
for (world, attacker), k in sorted(rows.items()):
    f = figures(k)
    n = int(k["n"])
    print(f"| {world} | {attacker} | {pct(k['alerted2'], n)} ({int(k['alerted2'])}/{n}) "
          f"| {pct(k['alerted5'], n)} ({int(k['alerted5'])}/{n}) | {f['apd2']:.2f}, {f['apd5']:.2f} "
          f"| {pct(k['mal'], k['hops'])} | {int(f['largest_hops'])}, {int(f['largest_threads'])} "
          f"| {pct(k['entry'], k['entry_of'])} "
          f"| {pct(k['u_alerted2'], k['u_n'])}, {pct(k['u_alerted5'], k['u_n'])} ({f['u_apd5']:.2f}) |")
    for key in ("alerted2", "alerted5", "precision", "entry"):
        keep_worst(key, f[key], world, attacker)
    for key in ("apd2", "apd5", "largest_hops", "largest_threads"):
        keep_worst(key, f[key], world, attacker, higher_is_worse=True)
    # the margin over the unseen-edge rule: the smallest is the worst
    keep_worst("margin2", f["alerted2"] - f["u_alerted2"], world, attacker)
    keep_worst("margin5", f["alerted5"] - f["u_alerted5"], world, attacker)
if worst:
    w = lambda key, fmt: f"{fmt(worst[key][0])} ({worst[key][1]})"
    p = lambda x: f"{100 * x:.1f} %"
    signed = lambda x: f"{100 * x:+.1f} pts"
    print(f"| **worst** | | {w('alerted2', p)} | {w('alerted5', p)} | "
          f"{w('apd2', lambda x: f'{x:.2f}')}, {w('apd5', lambda x: f'{x:.2f}')} | {w('precision', p)} | "
          f"{w('largest_hops', lambda x: str(int(x)))}, {w('largest_threads', lambda x: str(int(x)))} | "
          f"{w('entry', p)} | over unseen-edge: {w('margin2', signed)} at 2, {w('margin5', signed)} at 5 |")
print()
print("The 2019 case (ntt-2019) in every world: one alert holding the entry and the four hops, "
      "raised at the entry (seeds of the run); entry host found; alerts a day and largest alert at 5 a day.")
print()
print("| world | one alert, whole, raised at the entry | entry found | alerts/day | largest alert (hops, threads) |")
print("|---|---|---|---|---|")
for world, k in sorted(ntt.items()):
    s = int(k["seeds"])
    print(f"| {world} | {int(k['whole_at_entry'])}/{s} | {int(k['entry'])}/{s} | {k['apd']:.2f} "
          f"| {int(k['largest_hops'])}, {int(k['largest_threads'])} |")
if ntt:
    short = sorted(w for w, k in ntt.items() if k["whole_at_entry"] < k["seeds"])
    print(f"| **worst** | {'every seed, every world' if not short else 'short in ' + ', '.join(short)} "
          f"| | {max(k['apd'] for k in ntt.values()):.2f} | {int(max(k['largest_hops'] for k in ntt.values()))}, "
          f"{int(max(k['largest_threads'] for k in ntt.values()))} |")
# the worst single case (world, attacker, seed), not pooled over seeds
single = []
for meta, e in runs:
    if meta["kind"] != "generic":
        continue
    r = rule(e, "hopper")
    f2, f5 = at(r, 2), at(r, 5)
    n = f5["intrusions"]
    single.append((f"{meta['world']}/{meta['attacker']}/{meta['seed']}",
                   frac(f2["intrusions_alerted"], n), frac(f5["intrusions_alerted"], n),
                   frac(f5["alert_hops_malicious"], f5["alert_hops"] + f5["hops_omitted"])))
if single:
    print()
    print("The worst single case (world/attacker/seed), not pooled: ", end="")
    parts = []
    for i, label in ((1, "alerted at 2/day"), (2, "at 5/day"), (3, "hop precision")):
        w = min(single, key=lambda x: (x[i], x[0]))
        parts.append(f"{label} {100 * w[i]:.1f} % ({w[0]})")
    print("; ".join(parts) + ".")
if failed:
    print()
    print(f"FAILED cases (no eval.json): {', '.join(failed)}")
    sys.exit(1)
EOF
