#!/usr/bin/env bash
# Seed corpora for the fuzz targets, one directory per target under $1 (default
# /tmp/hopscope-fuzz/seeds), made from the real logs in ../shared/corpus (cut to a few KB:
# AFL++ mutates small inputs faster) and, for formats the corpus has no sample of (LANL,
# hopscope's own CSV/JSON lines, the inventory, cases and watch checkpoints), from a few
# lines written here or files hopscope itself writes.
#
# The corpus is ../shared/corpus beside the checkout, or $HOPSCOPE_CORPUS (as for the tests).
# Needs: the fuzz binary built (`cargo afl build --release` in fuzz/), the hopscope debug
# binary (`cargo build -p hopscope`), python3 (zip and JSON handling).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="${1:-/tmp/hopscope-fuzz/seeds}"
corpus="${HOPSCOPE_CORPUS:-$root/../shared/corpus}"
fuzz="${FUZZ_BIN:-$here/target/release/hopscope-fuzz}"
hopscope="${HOPSCOPE_BIN:-$root/target/debug/hopscope}"
[ -d "$corpus" ] || { echo "seed.sh: no corpus at $corpus" >&2; exit 1; }
[ -x "$fuzz" ] || { echo "seed.sh: build the fuzz targets first ($fuzz)" >&2; exit 1; }
[ -x "$hopscope" ] || (cd "$root" && cargo build -q -p hopscope)

rm -rf "$out"
mkdir -p "$out"
targets=$("$fuzz" --list | cut -f1)
for t in $targets; do mkdir -p "$out/$t"; done

# head -c N of a file, cut back to its last whole line
cut_lines() { head -c "$2" "$1" | python3 -c 'import sys; b=sys.stdin.buffer.read(); i=b.rfind(b"\n"); sys.stdout.buffer.write(b[:i+1] if i>=0 else b)'; }

# sshd: loghub's real server logs and fail2ban's collected line variants (syslog, journal,
# dropbear), each cut to 4 KB
ssh="$corpus/linux-ssh"
cut_lines "$ssh/loghub/OpenSSH_2k.log" 4096 >"$out/sshd/openssh_2k.log"
cut_lines "$ssh/loghub/Linux_2k.log" 4096 >"$out/sshd/linux_2k.log"
for f in sshd sshd-journal dropbear pam-generic selinux-ssh; do
  [ -f "$ssh/fail2ban/$f" ] && grep -v '^#' "$ssh/fail2ban/$f" | head -c 4096 >"$out/sshd/fail2ban_$f.log" || true
done
tail -c 4096 "$ssh/fail2ban/sshd" | grep -v '^#' >"$out/sshd/fail2ban_sshd_tail.log" || true

# evtx: the smallest real logs (one 64 KiB chunk behind the 4 KiB header), the deliberately
# corrupt samples cut to the same size, and the time trap
ev="$corpus/windows-evtx"
i=0
for f in "$ev/evtx-crate-samples/Security_short_selected.evtx" \
  "$ev/evtx-crate-samples/new-user-security.evtx" \
  "$ev/evtx-crate-samples/issue_201.evtx" \
  "$ev/evtx-crate-samples/Application_no_crc32.evtx" \
  "$ev/evtx-crate-samples/sample-with-zero-data-size-event.evtx" \
  "$ev/evtx-crate-samples/sample_with_a_bad_chunk_magic.evtx" \
  "$ev/mitre-lateral-movement/T1021.001-Remote Desktop Protocol/ID4825-Denied RDP connection with valid credentials.evtx" \
  "$ev/mitre-lateral-movement/T1021.002-SMB Windows Admin Shares/ID4688-4648 Lateral movement with net use.evtx"; do
  [ -f "$f" ] || continue
  i=$((i + 1))
  head -c 69632 "$f" >"$out/evtx/$i.evtx"
done
t="$(find "$ev/time-and-channel" -name '*.evtx' | sort | head -1)"
[ -n "$t" ] && head -c 69632 "$t" >"$out/evtx/time.evtx"

# winjson: the first events of OTRF's lateral-movement datasets, as JSON lines, as a JSON
# array (evtx_dump --format json style documents) and as a zip of JSON lines
python3 - "$corpus/windows-json/otrf-lateral-movement" "$out/winjson" <<'EOF'
import io, json, pathlib, sys, zipfile
src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for n, z in enumerate(sorted(src.glob("*.zip"))[:4]):
    with zipfile.ZipFile(z) as zf:
        name = zf.namelist()[0]
        with zf.open(name) as f:
            lines = []
            for raw in f:
                ev = json.loads(raw)
                # keep the logons, special logons, service installs and a few others
                if ev.get("EventID") in (4624, 4625, 4648, 4672, 4634, 7045, 4776) or len(lines) < 2:
                    lines.append(raw.rstrip(b"\r\n"))
                if len(lines) >= 6:
                    break
    body = b"\n".join(lines) + b"\n"
    (out / f"{n}.jsonl").write_bytes(body)
    if n == 0:
        (out / "array.json").write_text(json.dumps([json.loads(l) for l in lines[:3]], indent=1))
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as zw:
            zw.writestr("events.json", body)
        (out / "events.zip").write_bytes(b.getvalue())
EOF
# evtx_dump's JSON lines of a real Security log, when evtx_dump is on this machine
if command -v evtx_dump >/dev/null 2>&1; then
  evtx_dump -o jsonl "$ev/evtx-crate-samples/Security_short_selected.evtx" 2>/dev/null | head -c 6000 |
    python3 -c 'import sys; b=sys.stdin.buffer.read(); sys.stdout.buffer.write(b[:b.rfind(b"\n")+1])' \
      >"$out/winjson/evtx_dump.jsonl" || true
fi

# zeek: Zeek's own test logs (TSV, every log kind hopscope reads) and the WRCCDC logs, TSV
# and JSON, cut to 4 KB
zk="$corpus/zeek"
for kind in ssh rdp ntlm kerberos smb_mapping dce_rpc conn; do
  f="$(find "$zk/zeek-testsuite" -name "$kind.log" | sort | head -1)"
  [ -n "$f" ] && cut_lines "$f" 4096 >"$out/zeek/testsuite_$kind.log"
  for ext in log json; do
    g="$zk/zed-sample-data/$kind.$ext.gz"
    [ -f "$g" ] && { gzip -dc "$g" | head -c 4096 | python3 -c 'import sys; b=sys.stdin.buffer.read(); sys.stdout.buffer.write(b[:b.rfind(b"\n")+1])' >"$out/zeek/wrccdc_$kind.$ext"; } || true
  done
done
f="$(find "$zk/zeek-testsuite" -path '*ascii-json*' -name ssh.log | sort | head -1)"
[ -n "$f" ] && cp "$f" "$out/zeek/testsuite_ascii_json_ssh.log"

# lanl: no excerpt of auth.txt is reachable (SOURCES.md); lines in its documented format
cat >"$out/lanl/auth.txt" <<'EOF'
1,C625$@DOM1,U147@DOM1,C625,C625,Negotiate,Batch,LogOn,Success
1,C653$@DOM1,SYSTEM@C653,C653,C653,Negotiate,Service,LogOn,Success
2,U22@DOM1,U22@DOM1,C1065,C586,Kerberos,Network,LogOn,Success
2,U22@DOM1,U22@DOM1,C1065,C1065,?,?,LogOff,Success
3,ANONYMOUS LOGON@C586,ANONYMOUS LOGON@C586,C1250,C586,NTLM,Network,LogOn,Fail
4,U66@DOM1,U66@DOM1,C1,C2,Kerberos,Interactive,AuthMap,Success
EOF
cat >"$out/lanl/redteam.txt" <<'EOF'
150885,U620@DOM1,C17693,C1003
151036,U748@DOM1,C17693,C305
151648,U748@DOM1,C17693,C728
EOF

# wtmp: the login records made with util-linux utmpdump for the ingest tests (wtmp, btmp)
cp "$root/crates/ingest/tests/data/linux/th-app-02/wtmp" "$out/wtmp/wtmp"
cp "$root/crates/ingest/tests/data/linux/th-app-02/btmp" "$out/wtmp/btmp"

# audit: auditd's log of the same host's logins, written for the ingest tests
cut_lines "$root/crates/ingest/tests/data/linux/th-app-02/audit/audit.log" 4096 >"$out/audit/audit.log"
tail -c 2048 "$root/crates/ingest/tests/data/linux/th-app-02/audit/audit.log" | sed 1d >"$out/audit/audit_tail.log"

# csv, jsonl: hopscope's own export of a small real log (the sshd sample), round-tripped
case="$(mktemp -d)/case"
"$hopscope" ingest "$out/sshd/openssh_2k.log" "$out/sshd/fail2ban_sshd.log" --case "$case" --year 2020 >/dev/null 2>&1 || true
if [ -f "$case/manifest.json" ]; then
  "$hopscope" export --case "$case" --format csv --out "$out/csv/export.csv" >/dev/null 2>&1 || true
  "$hopscope" export --case "$case" --format jsonl --out "$out/jsonl/export.jsonl" >/dev/null 2>&1 || true
  for f in "$out/csv/export.csv" "$out/jsonl/export.jsonl"; do
    [ -f "$f" ] && { cut_lines "$f" 3000 >"$f.cut"; mv "$f.cut" "$f"; }
  done
fi
rm -rf "$(dirname "$case")"
cat >"$out/jsonl/inputs.jsonl" <<'EOF'
{"time":"2019-01-01T00:00:00Z","src_host":"h1","dst_host":"d1","user":"u1","outcome":"success"}
{"time":"2019-01-01T00:00:05Z","src_host":"h2","dst_host":"d2","user":"u2","outcome":"failure"}
EOF

# detect: one of each kind, and a gzip
cp "$out/sshd/openssh_2k.log" "$out/lanl/auth.txt" "$out/winjson/0.jsonl" "$out/detect/"
cp "$out/zeek/testsuite_ssh.log" "$out/detect/" 2>/dev/null || true
[ -f "$out/csv/export.csv" ] && cp "$out/csv/export.csv" "$out/detect/"
gzip -c "$out/sshd/linux_2k.log" >"$out/detect/linux_2k.log.gz"
cp "$out/wtmp/wtmp" "$out/detect/wtmp"

# case: the template case's files, each behind the byte that selects it
"$fuzz" --case-seeds "$out/case"

# watch_state: the payload of a real checkpoint (`watch --once --state`) over the sshd
# sample, without its 41-byte header (the target frames it)
st="$(mktemp -d)"
"$hopscope" watch "$out/sshd/openssh_2k.log" --once --state "$st" --year 2020 >/dev/null 2>&1 || true
[ -f "$st/state.bin" ] && tail -c +42 "$st/state.bin" >"$out/watch_state/openssh.payload"
rm -rf "$st"

# inventory: hosts.csv NUL sites.csv NUL data.csv
printf '%s\n' 'host,ips,site,country,role,owner,lifecycle,last_patched,internet_facing,criticality' \
  'web01,10.1.0.10;10.1.0.11,hq,,web server,ops,active,2019-05-01,true,high' \
  'db01,10.1.0.20,hq,DE,db server,dba,decommissioning,,no,4' \
  '"ws-""7""",10.2.0.7 10.2.0.8,branch,,ws,,retired,2018-13-01,1,low' >"$out/inventory/a"
printf '\0' >>"$out/inventory/a"
printf '%s\n' 'cidr,site,country' '10.1.0.0/16,hq,DE' '10.2.0.0/16,branch,FR' '2001:db8::/32,hq,DE' >>"$out/inventory/a"
printf '\0' >>"$out/inventory/a"
printf '%s\n' 'host,client,data_class,records,restricted' 'db01,Acme Bank,pii,120000,true' 'web01,École Nationale,,,no' >>"$out/inventory/a"

for t in $targets; do
  n=$(find "$out/$t" -maxdepth 1 -type f | wc -l)
  b=$(find "$out/$t" -maxdepth 1 -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
  printf '%-12s %3d seeds %8d bytes\n' "$t" "$n" "$b"
  [ "$n" -gt 0 ] || { echo "seed.sh: no seed for $t" >&2; exit 1; }
done
