//! Windows events from the real third-party corpus, through the public pipeline.

mod support;

use std::path::{Path, PathBuf};

use hopscope_ingest::{Format, IngestOptions, ProblemKind};
use hopscope_model::{
    Event, EventFlags, Inventory, InventoryHost, LogonType, Orientation, Outcome, Position,
};

use support::Ingested;

impl Ingested {
    fn host(&self, id: u32) -> String {
        self.catalog.hosts.name(id).unwrap_or("").to_ascii_uppercase()
    }
    fn user(&self, e: &Event) -> String {
        self.catalog.accounts.get(e.user).map(|a| a.name.to_ascii_lowercase()).unwrap_or_default()
    }
    fn src_ip(&self, e: &Event) -> String {
        self.catalog.addresses.name(e.src_ip).unwrap_or("").to_string()
    }
}

fn ingest(paths: &[PathBuf], format: Option<Format>, inventory: &Inventory) -> Ingested {
    support::ingest_with(paths, IngestOptions { format, ..Default::default() }, inventory)
}

/// The OTRF lab, as SOURCES.md and the datasets' metadata describe it.
fn otrf_lab() -> Inventory {
    let host = |name: &str, ip: &str| InventoryHost {
        name: name.into(),
        ips: vec![ip.parse().unwrap()],
        site: "lab".into(),
        ..Default::default()
    };
    Inventory::new(
        vec![
            host("WORKSTATION5", "172.18.39.5"),
            host("WORKSTATION6", "172.18.39.6"),
            host("WORKSTATION7", "172.18.39.7"),
            host("MORDORDC", "172.18.38.5"),
        ],
        vec![],
        vec![],
    )
    .0
}

fn is_person(user: &str) -> bool {
    !user.is_empty() && !user.ends_with('$') && user != "anonymous logon"
}

#[test]
fn otrf_datasets_show_the_hop_from_workstation5_and_nothing_else() {
    let Some(dir) = support::corpus("windows-json/otrf-lateral-movement") else { return };
    let mut zips: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "zip"))
        .collect();
    zips.sort();
    assert_eq!(zips.len(), 13);
    let lab = otrf_lab();
    for zip in &zips {
        let name = zip.file_stem().unwrap().to_string_lossy().to_string();
        // the sc.exe query dataset only records the hop to the domain controller
        let target =
            if name.starts_with("covenant_sc_query") { "MORDORDC" } else { "WORKSTATION6" };
        let got = ingest(std::slice::from_ref(zip), None, &lab);
        let report = &got.summary.sources[0];
        assert_eq!(report.format, Some(Format::Winjson), "{name}: detected as Windows JSON");
        assert!(report.events > 0, "{name}: yields events");
        assert!(
            report.problems.counts.keys().all(|k| *k == ProblemKind::BadJson)
                && report.problems.total() <= 1,
            "{name}: problems {:?}",
            report.problems.counts
        );

        let hop = got.events.iter().find(|e| {
            got.host(e.src_host) == "WORKSTATION5"
                && got.host(e.dst_host) == target
                && got.user(e) == "pgustavo"
                && e.outcome == Outcome::Success
                && matches!(e.orientation, Orientation::LogOn | Orientation::Tgs)
        });
        let hop =
            hop.unwrap_or_else(|| panic!("{name}: no WORKSTATION5 -> {target} hop by pgustavo"));
        // evidence: a line of the member file inside the zip
        let source = got.catalog.sources.name(hop.evidence.source).unwrap();
        assert!(source.contains(".zip!") && source.ends_with(".json"), "{name}: evidence {source}");
        assert!(matches!(hop.evidence.position, Position::Line(n) if n > 0));

        for e in got.events.iter() {
            let (src, dst, user) = (got.host(e.src_host), got.host(e.dst_host), got.user(&e));
            // every hop a person made between two hosts starts at the attacker's foothold
            if !src.is_empty() && src != dst && is_person(&user) {
                assert_eq!(
                    src, "WORKSTATION5",
                    "{name}: invented hop {src} -> {dst} ({user}, event {})",
                    e.event_id
                );
            }
            // WORKSTATION7 only appears in the PurpleSharp playbook, and never as a person's source
            if !name.starts_with("purplesharp") {
                assert!(
                    src != "WORKSTATION7" && dst != "WORKSTATION7",
                    "{name}: WORKSTATION7 in {e:?}"
                );
            } else if src == "WORKSTATION7" && dst != "WORKSTATION7" {
                assert!(!is_person(&user), "{name}: WORKSTATION7 -> {dst} by {user}");
            }
        }
    }
}

#[test]
fn otrf_powershell_remoting_seen_from_its_source() {
    let Some(zip) =
        support::corpus("windows-json/otrf-lateral-movement/covenant_psremoting_command.zip")
    else {
        return;
    };
    let got = ingest(&[zip], None, &otrf_lab());
    let src_user = |e: &Event| {
        got.catalog
            .accounts
            .get(e.src_user)
            .map(|a| a.name.to_ascii_lowercase())
            .unwrap_or_default()
    };
    // Sysmon 3 on WORKSTATION5: GruntHTTP.exe, as pgustavo, opened WinRM (5985) to
    // WORKSTATION6 three times; WORKSTATION6's own Sysmon records of receiving them are not read
    let sysmon: Vec<Event> = got.events.iter().filter(|e| e.event_id == 3).collect();
    let winrm: Vec<&Event> =
        sysmon.iter().filter(|e| got.catalog.auths.name(e.auth) == Some("winrm")).collect();
    assert_eq!(winrm.len(), 3, "{sysmon:?}");
    for e in &winrm {
        assert_eq!(
            (got.host(e.src_host), got.host(e.dst_host)),
            ("WORKSTATION5".into(), "WORKSTATION6".into())
        );
        assert_eq!(src_user(e), "pgustavo");
        assert_eq!(e.user, 0, "the account logged on with is the destination's to say");
        assert_eq!((e.orientation, e.outcome), (Orientation::LogOn, Outcome::Unknown));
        assert!(
            e.flags.contains(EventFlags::SOURCE_SIDE)
                && !e.flags.contains(EventFlags::NETWORK_ONLY)
        );
    }
    // the machines' own SMB, RPC and LDAP-side traffic to the DC: network-only, never hops
    let machine: Vec<&Event> =
        sysmon.iter().filter(|e| e.flags.contains(EventFlags::NETWORK_ONLY)).collect();
    assert!(!machine.is_empty());
    assert!(machine.iter().all(|e| e.flags.contains(EventFlags::SOURCE_SIDE)
        && matches!(src_user(e).as_str(), "system" | "network service" | "local service")));
    assert_eq!(machine.len() + winrm.len(), sysmon.len(), "a person's connection is a hop");
    // other ports (53, 88, 123, 389, 443) are not read, nor connections received (WORKSTATION6's
    // own records of the three WinRM connections)
    assert!(sysmon
        .iter()
        .all(|e| matches!(got.catalog.auths.name(e.auth), Some("winrm" | "smb" | "dce_rpc"))));
    assert_eq!(sysmon.iter().filter(|e| got.host(e.dst_host) == "WORKSTATION6").count(), 3);
    // 4648: pgustavo's explicit credentials for HTTP/WORKSTATION6 (WinRM), five times, each
    // seen from its source; the computer's own 4648 to itself stays local
    let explicit: Vec<Event> = got.events.iter().filter(|e| e.event_id == 4648).collect();
    let remote: Vec<&Event> =
        explicit.iter().filter(|e| got.host(e.dst_host) == "WORKSTATION6").collect();
    assert_eq!(remote.len(), 5);
    assert!(remote.iter().all(|e| e.flags.contains(EventFlags::SOURCE_SIDE)
        && got.host(e.src_host) == "WORKSTATION5"
        && got.user(e) == "pgustavo"));
    assert!(explicit
        .iter()
        .filter(|e| e.src_host == e.dst_host)
        .all(|e| !e.flags.contains(EventFlags::SOURCE_SIDE)));
}

#[test]
fn otrf_psexec_style_logons_carry_their_evidence() {
    let Some(zip) = support::corpus(
        "windows-json/otrf-lateral-movement/covenant_sharpsc_create_dcerpc_smb_svcctl.zip",
    ) else {
        return;
    };
    let got = ingest(&[zip], None, &otrf_lab());
    let logon = got
        .events
        .iter()
        .find(|e| {
            e.event_id == 4624
                && got.host(e.dst_host) == "WORKSTATION6"
                && got.user(e) == "pgustavo"
                && e.flags.contains(EventFlags::SERVICE_INSTALL)
        })
        .expect("the logon before the service install is tagged");
    assert_eq!(logon.logon_type, LogonType::Network);
    assert_eq!(got.host(logon.src_host), "WORKSTATION5");
    assert!(logon.flags.contains(EventFlags::PRIVILEGED), "4672 marks the same logon id");
    assert!(got
        .events
        .iter()
        .any(|e| e.event_id == 5145 && e.flags.contains(EventFlags::ADMIN_SHARE)));
}

fn evtx_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> =
        walk(dir).into_iter().filter(|p| p.extension().is_some_and(|x| x == "evtx")).collect();
    v.sort();
    v
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn mitre_lateral_movement_samples() {
    let Some(dir) = support::corpus("windows-evtx/mitre-lateral-movement") else { return };
    let files = evtx_files(&dir);
    assert_eq!(files.len(), 16);
    let mut addresses = std::collections::BTreeSet::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let got = ingest(std::slice::from_ref(f), None, &Inventory::default());
        let report = &got.summary.sources[0];
        assert_eq!(report.format, Some(Format::Evtx), "{name}");
        assert!(report.problems.is_empty(), "{name}: {:?}", report.problems);
        let ids: Vec<u16> = got.events.event_id.clone();
        // which files hold hop evidence, from their ATT&CK sample names
        let holds = ["4624", "4625", "4648", "5140", "5145", "4778", "4779"]
            .iter()
            .any(|id| name.contains(id));
        if holds {
            assert!(!ids.is_empty(), "{name}: yields its logon/share/RDP records");
            for e in got.events.iter() {
                assert!(
                    matches!(e.evidence.position, Position::Record(n) if n > 0),
                    "{name}: record evidence"
                );
                let ip = got.src_ip(&e);
                if !ip.is_empty() {
                    addresses.insert(ip);
                }
            }
        }
        if name.contains("OpenSSH") || name.contains("WS Management") || name.contains("4103") {
            assert!(ids.is_empty(), "{name}: no logon evidence in it, yet {ids:?}");
        }
        if name.contains("Pass the hash") {
            let pth = got.events.iter().find(|e| e.event_id == 4624).expect("the 4624");
            assert_eq!(pth.logon_type, LogonType::NewCredentials);
            assert!(pth.flags.contains(EventFlags::PASS_THE_HASH));
            assert_eq!(pth.src_host, pth.dst_host, "pass-the-hash is seen on the source itself");
        }
        if name.contains("PSexec") {
            let logon = got
                .events
                .iter()
                .find(|e| e.event_id == 4624 && e.flags.contains(EventFlags::SERVICE_INSTALL));
            assert!(logon.is_some(), "{name}: the 4697 tags its logon");
        }
    }
    for ip in ["10.23.123.11", "10.23.23.9", "10.23.42.22"] {
        assert!(addresses.contains(ip), "source address {ip} missing from {addresses:?}");
    }
}

#[test]
fn evtx_crate_samples_all_processed_corrupt_ones_located() {
    let Some(dir) = support::corpus("windows-evtx/evtx-crate-samples") else { return };
    let files = evtx_files(&dir);
    assert_eq!(files.len(), 23);
    let got = ingest(&files, Some(Format::Evtx), &Inventory::default());
    assert_eq!(got.summary.sources.len(), files.len());
    for r in &got.summary.sources {
        assert!(r.lines > 0, "{}: records read", r.path);
    }
    let by_name = |n: &str| got.summary.sources.iter().find(|r| r.path.ends_with(n)).unwrap();
    for corrupt in ["sample_with_a_bad_chunk_magic.evtx", "sample-with-zero-data-size-event.evtx"] {
        let r = by_name(corrupt);
        assert!(
            r.problems.counts.get(&ProblemKind::BadRecord).copied().unwrap_or(0) > 0,
            "{corrupt}: {:?}",
            r.problems
        );
        let ex = r.problems.first().unwrap();
        assert!(
            matches!(ex.position, Position::Record(n) if n > 0),
            "{corrupt}: located by record: {ex}"
        );
        assert!(ex.file.ends_with(corrupt));
        // the rest of the file is still read
        assert!(r.lines > 100, "{corrupt}: {} records", r.lines);
    }
    let security = by_name("/security.evtx");
    assert!(security.problems.is_empty());
    let sid = security.source_id;
    let logons =
        got.events.iter().filter(|e| e.evidence.source == sid && e.event_id == 4624).count();
    assert_eq!(logons, 583);
}

#[test]
fn truncated_evtx_is_counted_and_the_rest_read() {
    let Some(src) = support::corpus("windows-evtx/evtx-crate-samples/security.evtx") else {
        return;
    };
    let bytes = std::fs::read(&src).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.evtx");
    // the header, 10 whole chunks and half of the 11th
    std::fs::write(&cut, &bytes[..4096 + 10 * 65536 + 30000]).unwrap();
    let tiny = dir.path().join("tiny.evtx");
    std::fs::write(&tiny, &bytes[..100]).unwrap();
    let got = ingest(&[cut, tiny], None, &Inventory::default());
    let cut = &got.summary.sources[0];
    assert_eq!(cut.problems.counts.get(&ProblemKind::Truncated), Some(&1), "{:?}", cut.problems);
    assert!(cut.events > 0);
    let tiny = &got.summary.sources[1];
    assert_eq!(tiny.format, Some(Format::Evtx));
    assert_eq!(tiny.problems.counts.get(&ProblemKind::Truncated), Some(&1), "{:?}", tiny.problems);
}

/// One EVTX record as the `evtx` crate renders it to JSON, read apart from hopscope's own
/// reading of records (no `Fields`, no mapping): the truth the stored events are held to.
#[derive(Debug)]
struct Truth {
    event_id: u64,
    channel: String,
    provider: String,
    /// `System/TimeCreated/@SystemTime`, microseconds since 1970 UTC.
    system_time: Option<i64>,
}

/// Every record of `path` that the crate renders, by `System/EventRecordID` (a record id seen
/// twice is kept twice, so that the test can refuse to pick one).
fn truth(path: &Path) -> std::collections::BTreeMap<u64, Vec<Truth>> {
    let mut by_id: std::collections::BTreeMap<u64, Vec<Truth>> = Default::default();
    let Ok(mut parser) = evtx::EvtxParser::from_path(path) else { return by_id };
    for r in parser.records_json_value().flatten() {
        let sys = &r.data["Event"]["System"];
        let event_id = sys["EventID"].as_u64().or_else(|| sys["EventID"]["#text"].as_u64());
        let (Some(event_id), Some(record_id)) = (event_id, sys["EventRecordID"].as_u64()) else {
            continue;
        };
        let system_time = sys["TimeCreated"]["#attributes"]["SystemTime"]
            .as_str()
            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
            .map(|t| t.as_microsecond());
        by_id.entry(record_id).or_default().push(Truth {
            event_id,
            channel: sys["Channel"].as_str().unwrap_or("").to_string(),
            provider: sys["Provider"]["#attributes"]["Name"].as_str().unwrap_or("").to_string(),
            system_time,
        });
    }
    by_id
}

/// The (channel, provider, event id)s hopscope maps, written out apart from the code's own
/// table (docs/formats-windows.md).
fn mapped(t: &Truth) -> bool {
    let (c, p) = (t.channel.to_ascii_lowercase(), t.provider.to_ascii_lowercase());
    match (c.as_str(), p.as_str()) {
        ("security", "microsoft-windows-security-auditing") => matches!(
            t.event_id,
            4624 | 4625
                | 4634
                | 4647
                | 4648
                | 4672
                | 4697
                | 4768
                | 4769
                | 4771
                | 4776
                | 4778
                | 4779
                | 5140
                | 5145
                | 4719
        ),
        // tampering with the log itself (docs/coverage.md)
        ("security", "microsoft-windows-eventlog") => matches!(t.event_id, 1100 | 1102),
        ("system", "microsoft-windows-eventlog") => t.event_id == 104,
        ("system", "service control manager") => t.event_id == 7045,
        (
            "microsoft-windows-terminalservices-remoteconnectionmanager/operational",
            "microsoft-windows-terminalservices-remoteconnectionmanager",
        ) => t.event_id == 1149,
        (
            "microsoft-windows-terminalservices-localsessionmanager/operational",
            "microsoft-windows-terminalservices-localsessionmanager",
        ) => (21..=25).contains(&t.event_id),
        // the source side of outgoing logins (docs/formats-windows.md, "Seen from the source")
        (
            "microsoft-windows-terminalservices-rdpclient/operational",
            "microsoft-windows-terminalservices-clientactivexcore",
        ) => matches!(t.event_id, 1024 | 1102),
        ("microsoft-windows-winrm/operational", "microsoft-windows-winrm") => t.event_id == 6,
        ("microsoft-windows-sysmon/operational", "microsoft-windows-sysmon") => t.event_id == 3,
        _ => false,
    }
}

/// Mapped records read only under a condition of their fields (Sysmon 3: a TCP connection the
/// host opened to a remote-access port), so not every one is stored.
fn conditional(t: &Truth) -> bool {
    t.event_id == 3 && t.channel.eq_ignore_ascii_case("Microsoft-Windows-Sysmon/Operational")
}

#[test]
fn every_evtx_event_has_its_system_time_record_id_and_a_mapped_channel() {
    let Some(dir) = support::corpus("windows-evtx") else { return };
    let files = evtx_files(&dir);
    assert!(files.len() >= 41, "{} EVTX files", files.len());
    let mut checked = 0usize;
    for f in &files {
        let name = f.strip_prefix(&dir).unwrap().display().to_string();
        let truth = truth(f);
        let got = ingest(std::slice::from_ref(f), Some(Format::Evtx), &Inventory::default());
        for e in got.events.iter() {
            let Position::Record(id) = e.evidence.position else {
                panic!("{name}: EVTX evidence is a record, not {:?}", e.evidence.position)
            };
            let records = truth.get(&id).map(Vec::as_slice).unwrap_or(&[]);
            let [t] = records else {
                panic!(
                    "{name}: stored event {} names EventRecordID {id}, which {} records carry",
                    e.event_id,
                    records.len()
                )
            };
            assert_eq!(u64::from(e.event_id), t.event_id, "{name}: record {id}");
            assert!(
                mapped(t),
                "{name}: record {id} ({}, {}, {}) is stored though unmapped",
                t.channel,
                t.provider,
                t.event_id
            );
            assert_eq!(
                Some(e.time.0),
                t.system_time,
                "{name}: record {id}: stored {} but SystemTime says {:?}",
                e.time,
                t.system_time.map(hopscope_model::Time)
            );
            checked += 1;
        }
        // every mapped record is stored (4672 folds into its logon, repeated 5145 checks of one
        // share by one session into the first), unless the ingest counted a problem
        let stored: std::collections::BTreeSet<u64> = got
            .events
            .iter()
            .filter_map(|e| match e.evidence.position {
                Position::Record(n) => Some(n),
                Position::Line(_) => None,
            })
            .collect();
        let report = &got.summary.sources[0];
        for (id, ts) in &truth {
            for t in ts.iter().filter(|t| {
                mapped(t) && !conditional(t) && t.event_id != 4672 && t.event_id != 5145
            }) {
                assert!(
                    stored.contains(id) || !report.problems.is_empty(),
                    "{name}: mapped record {id} ({t:?}) not stored, no problem counted"
                );
            }
        }
    }
    assert!(checked > 1_700, "{checked} events checked");
}

#[test]
fn time_and_channel_traps() {
    let Some(dir) = support::corpus("windows-evtx/time-and-channel") else { return };
    // the last record's header time is zero (1601); its SystemTime is 2020-09-09T13:18:27Z
    let got = ingest(
        &[dir.join("CA_4624_4625_LogonType2_LogonProc_chrome.evtx")],
        None,
        &Inventory::default(),
    );
    assert!(got.summary.sources[0].problems.is_empty(), "{:?}", got.summary.sources[0].problems);
    let times: Vec<String> = got.events.iter().map(|e| e.time.to_rfc3339()).collect();
    assert!(!times.is_empty());
    assert!(times.iter().all(|t| t.starts_with("2020-09-09T")), "{times:?}");
    assert!(times.iter().any(|t| t.starts_with("2020-09-09T13:18:27")), "{times:?}");
    // EventRecordIDs as the log wrote them, not the trimmed file's record numbers
    assert!(
        got.events.iter().all(|e| matches!(e.evidence.position, Position::Record(n) if n > 100)),
        "{:?}",
        got.events.position
    );

    // 38 EventSystem events of the Application log use id 4625: not failed logons
    let got = ingest(&[dir.join("many-events-application.evtx")], None, &Inventory::default());
    let r = &got.summary.sources[0];
    assert_eq!(got.events.len(), 0, "{:?}", got.events.event_id);
    assert!(r.ignored >= 38 && r.problems.is_empty(), "{r:?}");
}

#[test]
fn a_record_altered_after_it_was_written_fails_its_chunk_checksum_and_is_located() {
    let Some(src) = support::corpus("windows-evtx/evtx-crate-samples/security.evtx") else {
        return;
    };
    let bytes = std::fs::read(&src).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // one byte of each of three user names, in three different chunks
    let name: Vec<u8> = "archir".encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut flipped = bytes.clone();
    let mut chunks = std::collections::BTreeSet::new();
    let mut from = 4096;
    while let Some(i) = flipped[from..].windows(name.len()).position(|w| w == name) {
        let at = from + i;
        if chunks.insert((at - 4096) / 65536) {
            flipped[at] = b'b'; // archir -> brchir
        }
        from = at + name.len();
    }
    assert!(chunks.len() >= 2, "archir appears in chunks {chunks:?}");
    let path = dir.path().join("flipped.evtx");
    std::fs::write(&path, &flipped).unwrap();

    let intact = ingest(std::slice::from_ref(&src), None, &Inventory::default());
    assert!(intact.summary.sources[0].problems.is_empty());
    let got = ingest(&[path], None, &Inventory::default());
    let r = &got.summary.sources[0];
    assert_eq!(
        r.problems.counts.get(&ProblemKind::BadRecord).copied(),
        Some(chunks.len() as u64),
        "one problem per altered chunk: {:?}",
        r.problems
    );
    let ex = r.problems.first().unwrap();
    assert!(ex.to_string().contains("CRC32"), "{ex}");
    assert!(matches!(ex.position, Position::Record(n) if n > 0), "located by record: {ex}");
    // nothing is dropped: the altered records are read, the problem says which to distrust
    assert_eq!(got.events.len(), intact.events.len());
    assert!(got.events.iter().any(|e| got.user(&e) == "brchir"));
}

/// Every tampering event (1100, 1102, 104, 4719) in `file`, as (event id, time, host, user).
fn tampering_in(file: &str) -> Option<Vec<(u16, String, String, String)>> {
    let path = support::corpus(file)?;
    let got = ingest(&[path], None, &Inventory::default());
    Some(
        got.events
            .iter()
            .filter(|e| e.orientation == Orientation::Tampering)
            .map(|e| {
                assert_eq!(e.src_host, 0, "a tampering event has no source");
                assert_eq!(e.outcome, Outcome::Unknown, "nor an outcome");
                (e.event_id, e.time.to_rfc3339(), got.host(e.dst_host), got.user(&e))
            })
            .collect(),
    )
}

#[test]
fn real_system_log_reports_its_clearing() {
    let Some(got) = tampering_in("windows-evtx/evtx-crate-samples/system.evtx") else { return };
    // the sample's System log holds two 104s, both by tony on DESKTOP-2KGM189
    let want = |t: &str| (104, t.to_string(), "DESKTOP-2KGM189".to_string(), "tony".to_string());
    assert_eq!(got, vec![want("2017-12-26T13:06:45.140586Z"), want("2017-12-26T13:10:28.799280Z")]);
}

#[test]
fn real_security_log_reports_each_event_log_shutdown() {
    let Some(got) = tampering_in("windows-evtx/evtx-crate-samples/security.evtx") else { return };
    // 36 × 1100 (the service shut down, naming no one), the first on another computer name
    assert_eq!(got.len(), 36);
    assert!(got.iter().all(|(id, _, _, user)| *id == 1100 && user.is_empty()));
    assert_eq!(got[0].1, "2016-07-08T18:14:59.617465Z");
    assert_eq!(got[0].2, "37L4247F27-25");
    assert!(got[1..].iter().all(|(_, _, host, _)| host == "WIN-03DLIIOFRRA"));
    assert_eq!(got[35].1, "2017-04-14T01:19:20.712744Z");
}

/// A compressed EVTX (gzip, zstd) is decompressed into a temporary file, not memory (a
/// `.evtx.gz` may hold a file of any size): the same events and problems as the file itself.
#[test]
fn compressed_evtx_reads_like_the_file() {
    let Some(src) = support::corpus("windows-evtx/evtx-crate-samples/security.evtx") else {
        return;
    };
    let bytes = std::fs::read(&src).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("security.evtx");
    std::fs::write(&plain, &bytes).unwrap();
    let gz = dir.path().join("security.evtx.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &bytes).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let zst = dir.path().join("security.evtx.zst");
    std::fs::write(&zst, zstd::encode_all(&bytes[..], 1).unwrap()).unwrap();
    let want = ingest(&[plain], None, &Inventory::default());
    assert!(want.events.len() > 100, "{}", want.events.len());
    for p in [gz, zst] {
        let got = ingest(std::slice::from_ref(&p), None, &Inventory::default());
        let (a, b) = (&got.summary.sources[0], &want.summary.sources[0]);
        assert_eq!(a.format, Some(Format::Evtx), "{p:?}");
        assert_eq!(
            (a.events, a.lines, &a.problems.counts),
            (b.events, b.lines, &b.problems.counts)
        );
        let (g, w) = (&got.events, &want.events);
        assert!(g.time == w.time && g.position == w.position && g.event_id == w.event_id, "{p:?}");
        assert_eq!((&g.flags, &g.user, &g.src_ip), (&w.flags, &w.user, &w.src_ip), "{p:?}");
    }
}
