//! Zeek logs from the real third-party corpus, through the public pipeline.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hopscope_ingest::{discover, Format, IngestOptions, ProblemKind, SourceReport};
use hopscope_model::{Event, EventFlags, Inventory, LogonType, Orientation, Outcome, Position};

use support::Ingested;

fn ingest(paths: &[PathBuf], format: Option<Format>) -> Ingested {
    ingest_with(paths, IngestOptions { format, ..Default::default() })
}

fn ingest_with(paths: &[PathBuf], opts: IngestOptions) -> Ingested {
    support::ingest_with(paths, opts, &Inventory::default())
}

/// An event with every id resolved to what it names: comparable across runs and catalogs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    time: i64,
    src_host: String,
    src_ip: String,
    dst_host: String,
    dst_ip: String,
    user: String,
    src_user: String,
    auth: String,
    logon_type: LogonType,
    outcome: Outcome,
    orientation: Orientation,
    flags: u16,
}

impl Ingested {
    fn row(&self, e: &Event) -> Row {
        let c = &self.catalog;
        let account = |id| c.accounts.get(id).map(|a| a.display()).unwrap_or_default();
        Row {
            time: e.time.0,
            src_host: c.hosts.name(e.src_host).unwrap_or("").to_string(),
            src_ip: c.addresses.name(e.src_ip).unwrap_or("").to_string(),
            dst_host: c.hosts.name(e.dst_host).unwrap_or("").to_string(),
            dst_ip: c.addresses.name(e.dst_ip).unwrap_or("").to_string(),
            user: account(e.user),
            src_user: account(e.src_user),
            auth: c.auths.name(e.auth).unwrap_or("").to_string(),
            logon_type: e.logon_type,
            outcome: e.outcome,
            orientation: e.orientation,
            flags: e.flags.0,
        }
    }
    fn rows(&self) -> Vec<(Row, u64)> {
        self.events
            .iter()
            .map(|e| {
                let Position::Line(n) = e.evidence.position else {
                    panic!("Zeek evidence is a line: {e:?}")
                };
                (self.row(&e), n)
            })
            .collect()
    }
}

fn counts(r: &SourceReport) -> BTreeMap<&'static str, u64> {
    r.problems.counts.iter().map(|(k, n)| (k.as_str(), *n)).collect()
}

/// Every file of Zeek's own test baselines: what it yields, and every problem explained.
/// Baselines mask times as `XXXXXXXXXX.XXXXXX`: a row hopscope would use reports `bad-time`;
/// the logging-framework tests write an `ssh` stream with made-up columns (no `ts` or no
/// addresses): `truncated`. No baseline row holds a usable time, so none yields an event.
#[test]
fn zeek_testsuite_every_file_explained() {
    let Some(dir) = support::corpus("zeek/zeek-testsuite") else { return };
    // (folder, detected as Zeek, lines, ignored, problems); events are always 0
    type Expected = (&'static str, bool, u64, u64, &'static [(&'static str, u64)]);
    #[rustfmt::skip]
    let expected: &[Expected] = &[
        ("core.cisco-fabric-path", true, 74, 74, &[]),
        ("core.erspanI", true, 11, 11, &[]),
        ("core.erspanII", true, 11, 11, &[]),
        ("core.erspanIII", true, 11, 11, &[]),
        ("core.history-flip", true, 11, 11, &[]),
        ("core.local-flip", true, 11, 11, &[]),
        ("core.mpls-in-vlan", true, 13, 13, &[]),
        ("core.pbb", true, 13, 13, &[]),
        ("core.pcap.dynamic-filter", true, 26, 26, &[]),
        ("core.pcap.read-trace-with-filter", true, 11, 11, &[]),
        ("core.pcapng-pktsrc", true, 13, 13, &[]),
        ("core.ppp", true, 13, 13, &[]),
        ("core.pppoe", true, 17, 17, &[]),
        ("core.pppoe-over-qinq", true, 11, 11, &[]),
        ("core.print-bpf-filters", true, 11, 11, &[]),
        ("core.tunnels.gre", true, 11, 10, &[("bad-time", 1)]),
        ("plugins.logging-hooks", true, 12, 10, &[("truncated", 2)]),
        ("scripts.base.frameworks.logging.ascii-binary", true, 13, 10, &[("truncated", 3)]),
        ("scripts.base.frameworks.logging.ascii-escape", true, 13, 8, &[("truncated", 5)]),
        ("scripts.base.frameworks.logging.ascii-gz", true, 11, 10, &[("truncated", 1)]),
        // a BTest comment line, then JSON whose `t` is a bare masked number (not JSON)
        ("scripts.base.frameworks.logging.ascii-json", false, 2, 1, &[("bad-time", 1)]),
        // JSON rows with only a `t` field
        ("scripts.base.frameworks.logging.ascii-json-iso-timestamps", false, 11, 1, &[("truncated", 10)]),
        // `|`-separated rows with no header at all
        ("scripts.base.frameworks.logging.ascii-options", false, 6, 1, &[("unrecognised-format", 5)]),
        ("scripts.base.frameworks.logging.attr", true, 15, 10, &[("truncated", 5)]),
        ("scripts.base.frameworks.logging.attr-extend", true, 11, 10, &[("truncated", 1)]),
        ("scripts.base.frameworks.logging.empty-event", true, 15, 10, &[("truncated", 5)]),
        ("scripts.base.frameworks.logging.enable-stream", true, 11, 10, &[("truncated", 1)]),
        ("scripts.base.frameworks.logging.exclude", true, 15, 10, &[("truncated", 5)]),
        ("scripts.base.frameworks.logging.file", true, 11, 10, &[("truncated", 1)]),
        ("scripts.base.frameworks.logging.include", true, 15, 10, &[("truncated", 5)]),
        ("scripts.base.frameworks.logging.remove", true, 13, 10, &[("truncated", 3)]),
        ("scripts.base.frameworks.logging.test-logging", true, 15, 10, &[("truncated", 5)]),
        ("scripts.base.frameworks.logging.types", true, 11, 10, &[("truncated", 1)]),
        ("scripts.base.frameworks.logging.vec", true, 11, 10, &[("truncated", 1)]),
        // dce_rpc calls to drsuapi, netlogon, epmapper, nspi, exchange_mapi, ...: no remote execution
        ("scripts.base.protocols.dce-rpc.context", true, 13, 13, &[]),
        ("scripts.base.protocols.dce-rpc.dce_rpc_netlogon", true, 11, 11, &[]),
        ("scripts.base.protocols.dce-rpc.dce_rpc_ntlm", true, 11, 10, &[("bad-time", 1)]),
        ("scripts.base.protocols.dce-rpc.mapi", true, 34, 32, &[("bad-time", 2)]),
        ("scripts.base.protocols.dce-rpc.ntlm-empty-av-pair-seq", true, 11, 10, &[("bad-time", 1)]),
        ("scripts.base.protocols.dce-rpc.ntlm-unterminated-av-pair-seq", true, 11, 10, &[("bad-time", 1)]),
        // a bare `ts<TAB>uid...` header line instead of the # block
        ("scripts.base.protocols.krb.error-preauth-padata", true, 3, 2, &[("bad-time", 1)]),
        ("scripts.base.protocols.krb.kinit", true, 95, 10, &[("bad-time", 85)]),
        ("scripts.base.protocols.krb.krb-service-name", true, 11, 10, &[("bad-time", 1)]),
        ("scripts.base.protocols.krb.smb_gssapi", true, 11, 10, &[("bad-time", 1)]),
        ("scripts.base.protocols.krb.tgs", true, 11, 10, &[("bad-time", 1)]),
        ("scripts.base.protocols.ldap.sasl-gss-spnego-ntlm", true, 4, 2, &[("bad-time", 2)]),
        ("scripts.base.protocols.ldap.sasl-ntlm", true, 3, 2, &[("bad-time", 1)]),
        ("scripts.base.protocols.rdp.rdp-no-cookie-msthash", true, 11, 10, &[("bad-time", 1)]),
        ("scripts.base.protocols.rdp.rdp-proprietary-encryption", true, 12, 10, &[("bad-time", 2)]),
        ("scripts.base.protocols.rdp.rdp-to-ssl", true, 12, 10, &[("bad-time", 2)]),
        ("scripts.base.protocols.rdp.rdp-unknown-keyboard", true, 11, 10, &[("bad-time", 1)]),
        ("scripts.base.protocols.rdp.rdp-x509", true, 11, 10, &[("bad-time", 1)]),
        // smb_files: not hop evidence
        ("scripts.base.protocols.smb.smb1", true, 13, 13, &[]),
        ("scripts.base.protocols.smb.smb1-transaction-dcerpc", true, 11, 11, &[]),
        ("scripts.base.protocols.smb.smb2", true, 25, 23, &[("bad-time", 2)]),
        ("scripts.base.protocols.smb.smb2-create-delete-on-close", true, 18, 18, &[]),
        ("scripts.base.protocols.smb.smb2-read-write", true, 17, 17, &[]),
        ("scripts.base.protocols.smb.smb3", true, 12, 10, &[("bad-time", 2)]),
        ("scripts.base.protocols.smb.smb3-multichannel", true, 75, 75, &[]),
        ("scripts.base.protocols.ssh.basic", true, 32, 10, &[("bad-time", 22)]),
        ("scripts.base.protocols.ssh.curve25519_kex", true, 11, 10, &[("bad-time", 1)]),
        ("scripts.base.protocols.ssh.dh_group18_kex", true, 3, 2, &[("bad-time", 1)]),
        ("scripts.base.protocols.ssh.half-duplex-client", true, 30, 10, &[("bad-time", 20)]),
        ("scripts.base.protocols.ssh.half-duplex-server", true, 30, 10, &[("bad-time", 20)]),
        ("scripts.base.protocols.ssh.mlkem_kex", true, 11, 10, &[("bad-time", 1)]),
        ("scripts.base.protocols.ssh.pre-banner", true, 11, 10, &[("bad-time", 1)]),
        ("scripts.base.protocols.ssh.ssh_version_199", true, 11, 10, &[("bad-time", 1)]),
        ("scripts.base.protocols.tcp.krb-tcp-tso", true, 21, 10, &[("bad-time", 11)]),
        // ssh rows through a websocket tunnel: no id.orig_h / id.resp_h columns
        ("scripts.base.protocols.websocket.wstunnel-ssh", true, 4, 2, &[("truncated", 2)]),
        ("scripts.base.protocols.websocket.wstunnel-ssh-configure", true, 4, 2, &[("truncated", 2)]),
        ("scripts.policy.protocols.krb.ticket-logging", true, 11, 10, &[("bad-time", 1)]),
        ("spicy.protocol-analyzer-tcp-over-udp", true, 11, 10, &[("bad-time", 1)]),
    ];
    let mut folders: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let listed: Vec<&str> = expected.iter().map(|e| e.0).collect();
    assert_eq!(folders, listed, "every folder of the baseline corpus is accounted for");

    for &(folder, detected, lines, ignored, problems) in expected {
        let files: Vec<PathBuf> = discover(&[dir.join(folder)]).unwrap();
        let detected_run = ingest(&files, None);
        let forced_run = ingest(&files, Some(Format::Zeek));
        for (i, file) in files.iter().enumerate() {
            let name = format!("{folder}/{}", file.file_name().unwrap().to_string_lossy());
            let d = &detected_run.summary.sources[i];
            assert_eq!(
                d.format == Some(Format::Zeek),
                detected,
                "{name}: detection ({:?})",
                d.format
            );
            assert!(d.format.is_none() || d.format == Some(Format::Zeek), "{name}: {:?}", d.format);
            let r = &forced_run.summary.sources[i];
            assert_eq!(r.events, 0, "{name}");
            assert!(
                !counts(r).contains_key("unknown-message") && !counts(r).contains_key("bad-json"),
                "{name}"
            );
            for ex in r.problems.examples.values().flatten() {
                assert!(matches!(ex.position, Position::Line(n) if n > 1), "{name}: located: {ex}");
                if ex.kind == ProblemKind::BadTime {
                    assert!(ex.message.contains("masked"), "{name}: {ex}");
                }
            }
        }
        // folders with two logs (mapi, smb2) are summed
        let sum =
            |f: fn(&SourceReport) -> u64| forced_run.summary.sources.iter().map(f).sum::<u64>();
        assert_eq!(
            (sum(|r| r.lines), sum(|r| r.ignored)),
            (lines, ignored),
            "{folder}: lines, ignored"
        );
        let mut got: BTreeMap<&str, u64> = BTreeMap::new();
        for r in &forced_run.summary.sources {
            for (k, n) in counts(r) {
                *got.entry(k).or_default() += n;
            }
        }
        let want: BTreeMap<&str, u64> = problems.iter().copied().collect();
        assert_eq!(got, want, "{folder}: problems by reason");
        // every line is an event, ignored, or a problem: nothing passes silently
        assert_eq!(lines, ignored + want.values().sum::<u64>(), "{folder}");
    }
}

#[test]
fn bat_conn_log_old_field_set() {
    let Some(file) = support::corpus("zeek/bat/conn.log") else { return };
    let got = ingest(&[file], None);
    let r = &got.summary.sources[0];
    assert_eq!(r.format, Some(Format::Zeek));
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    // 8 header lines, 360 rows (HTTP, TLS, DNS, ICMP: none to a remote-access port), #close
    assert_eq!((r.lines, r.ignored, r.events), (369, 369, 0));
}

/// The zed sample logs, TSV (`*.log.gz`) and JSON (`*.json.gz`, json-streaming-logs with
/// `_path` and ISO 8601 `ts`) from one Zeek run.
fn zed_pair(dir: &Path, log: &str) -> (Ingested, Ingested) {
    let tsv = ingest(&[dir.join(format!("{log}.log.gz"))], None);
    let json = ingest(&[dir.join(format!("{log}.json.gz"))], None);
    for (enc, got) in [("TSV", &tsv), ("JSON", &json)] {
        let r = &got.summary.sources[0];
        assert_eq!(r.format, Some(Format::Zeek), "{log} {enc}");
        assert_eq!(r.compressed, Some("gzip"));
        assert!(r.problems.is_empty(), "{log} {enc}: {:?}", r.problems);
    }
    (tsv, json)
}

#[test]
fn zed_tsv_and_json_yield_identical_events() {
    let Some(dir) = support::corpus("zeek/zed-sample-data") else { return };
    // (log, rows in the log, events): SOURCES.md's record counts; dce_rpc keeps the 55 svcctl
    // and 12 ITaskSchedulerService calls of its 78 (samr, IObjectExporter, IRemoteSCMActivator
    // ignored); smb_files is not hop evidence
    let logs = [
        ("ssh", 22, 22),
        ("rdp", 4122, 4122),
        ("ntlm", 422, 422),
        ("kerberos", 11, 11),
        ("smb_mapping", 393, 393),
        ("dce_rpc", 78, 67),
        ("smb_files", 13, 0),
    ];
    for (log, rows, events) in logs {
        let (tsv, json) = zed_pair(&dir, log);
        let (t, j) = (&tsv.summary.sources[0], &json.summary.sources[0]);
        // the TSV file has 8 header lines and a #close trailer around the same rows
        assert_eq!((t.lines, j.lines), (rows + 9, rows), "{log}: lines");
        assert_eq!((t.events, j.events), (events, events), "{log}: events");
        assert_eq!((t.ignored, j.ignored), (rows - events + 9, rows - events), "{log}: ignored");
        let (tr, jr) = (tsv.rows(), json.rows());
        assert_eq!(tr.len() as u64, events);
        for ((trow, tline), (jrow, jline)) in tr.iter().zip(&jr) {
            assert_eq!(trow, jrow, "{log}: TSV line {tline} vs JSON line {jline}");
            // evidence differs only by the TSV header block
            assert_eq!(*tline, jline + 8, "{log}: evidence lines");
        }
    }
}

#[test]
fn zed_events_mean_what_the_logs_say() {
    let Some(dir) = support::corpus("zeek/zed-sample-data") else { return };
    let by =
        |rows: &[(Row, u64)], f: &dyn Fn(&Row) -> bool| rows.iter().filter(|(r, _)| f(r)).count();

    let (ssh, _) = zed_pair(&dir, "ssh");
    let rows = ssh.rows();
    assert!(rows.iter().all(|(r, _)| r.auth == "ssh"
        && r.logon_type == LogonType::RemoteInteractive
        && r.user.is_empty()));
    assert_eq!(by(&rows, &|r| r.outcome == Outcome::Success && r.flags == 0), 5);
    assert_eq!(by(&rows, &|r| r.outcome == Outcome::Failure && r.flags == 0), 2);
    assert_eq!(
        by(&rows, &|r| r.outcome == Outcome::Unknown && r.flags == EventFlags::NETWORK_ONLY.0),
        15
    );
    let first = rows.iter().find(|(_, l)| *l == 9).unwrap();
    assert_eq!(
        (first.0.src_ip.as_str(), first.0.dst_ip.as_str(), first.0.time),
        ("10.0.0.227", "10.47.8.50", 1_521_911_799_739_898)
    );
    let note = &ssh.summary.sources[0].notes;
    assert!(
        note.iter().any(|n| n.contains("22 connections, 7 authentication attempts")),
        "{note:?}"
    );

    let (rdp, _) = zed_pair(&dir, "rdp");
    let rows = rdp.rows();
    assert!(rows.iter().all(|(r, _)| r.auth == "rdp"
        && r.logon_type == LogonType::RemoteInteractive
        && r.user.is_empty()));
    // cookies: the client's claimed user name, kept as src_user
    assert_eq!(by(&rows, &|r| r.src_user == "nessus"), 11);
    assert_eq!(by(&rows, &|r| r.src_user == "jerry"), 2);
    assert_eq!(by(&rows, &|r| r.outcome == Outcome::Success), 44);
    assert_eq!(by(&rows, &|r| r.outcome == Outcome::Failure), 2);

    let (ntlm, _) = zed_pair(&dir, "ntlm");
    let rows = ntlm.rows();
    assert_eq!(
        by(&rows, &|r| r.user.eq_ignore_ascii_case("Administrator@FACTORY")
            && r.outcome == Outcome::Success),
        14
    );
    // the server's NetBIOS name names the destination
    assert!(
        by(&rows, &|r| r.dst_host.eq_ignore_ascii_case("snozberry") && r.dst_ip == "10.47.8.208")
            > 0
    );
    assert!(rows.iter().all(|(r, _)| r.auth == "ntlm" && r.logon_type == LogonType::Network));
    // the `NULL` workstation name some tools send is no host
    assert_eq!(by(&rows, &|r| r.src_host.eq_ignore_ascii_case("null")), 0);
    // 15 rows with neither user nor verdict: an NTLM exchange, not a login
    assert_eq!(by(&rows, &|r| r.flags == EventFlags::NETWORK_ONLY.0), 15);

    let (krb, _) = zed_pair(&dir, "kerberos");
    let rows = krb.rows();
    assert!(rows.iter().all(|(r, _)| r.orientation == Orientation::Tgt
        && r.auth == "kerberos"
        && r.user.is_empty()));
    assert_eq!(by(&rows, &|r| r.outcome == Outcome::Failure), 1);

    let (smb, _) = zed_pair(&dir, "smb_mapping");
    let rows = smb.rows();
    // ADMIN$ 203, admin$ 58, IPC$ 131; one mapping without a path
    assert_eq!(by(&rows, &|r| r.flags == EventFlags::ADMIN_SHARE.0), 392);
    assert!(rows.iter().all(|(r, _)| r.auth == "smb"));

    let (dce, _) = zed_pair(&dir, "dce_rpc");
    let rows = dce.rows();
    assert_eq!(
        by(&rows, &|r| r.flags == EventFlags::SERVICE_INSTALL.0),
        9,
        "svcctl CreateServiceW"
    );
    assert!(rows
        .iter()
        .all(|(r, _)| r.auth == "dce_rpc" && !r.src_ip.is_empty() && !r.dst_ip.is_empty()));
}

#[test]
fn small_batches_keep_the_header_and_absolute_lines() {
    let Some(file) = support::corpus("zeek/zed-sample-data/rdp.log.gz") else { return };
    let whole = ingest(std::slice::from_ref(&file), None);
    let small = ingest_with(&[file], IngestOptions { batch_events: 7, ..Default::default() });
    assert_eq!(small.summary.sources[0].lines, 4131);
    assert!(small.summary.sources[0].problems.is_empty());
    let (mut a, mut b) = (whole.rows(), small.rows());
    a.sort();
    b.sort();
    assert_eq!(a, b);
}
