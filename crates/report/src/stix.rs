//! `report.stix.json`: a STIX 2.1 bundle for sharing with CERTs and authorities.
//!
//! | report                          | STIX 2.1                                                   |
//! |---------------------------------|------------------------------------------------------------|
//! | hopscope                        | `identity` (system), creator of every object               |
//! | the report                      | `report` (threat-report) naming every object               |
//! | a host on the path              | `infrastructure` (compromised host, country in description)|
//! | a hop of the alert              | `indicator` (STIX pattern) and its `sighting`              |
//! | an ATT&CK technique of a hop    | `attack-pattern` with a `mitre-attack` external reference  |
//! | hop from host A to host B       | `relationship` A `communicates-with` B                     |
//! | hop shows technique / reaches B | `relationship` indicator `indicates` attack-pattern / B    |
//!
//! Ids and times are derived from the data, never from the clock or a random source: the
//! same document gives the same bundle. STIX 2.1 asks for version-4 UUIDs on domain and
//! relationship objects (the validator warns on anything else), so an id is the version-4
//! layout filled with the SHA-256 of the case, the object type and what the object is about,
//! rather than a version-5 UUID.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::document::Document;
use crate::view::{AlertHopView, EvidenceRef};
use crate::ReportError;

/// Render the bundle, pretty-printed with a final newline.
pub fn render(doc: &Document) -> Result<String, ReportError> {
    let mut s = serde_json::to_string_pretty(&bundle(doc))?;
    s.push('\n');
    Ok(s)
}

/// Names of the ATT&CK techniques the engine tags hops with.
fn technique_name(id: &str) -> &str {
    match id {
        "T1021" => "Remote Services",
        "T1021.001" => "Remote Services: Remote Desktop Protocol",
        "T1021.002" => "Remote Services: SMB/Windows Admin Shares",
        "T1021.004" => "Remote Services: SSH",
        "T1021.006" => "Remote Services: Windows Remote Management",
        "T1078" => "Valid Accounts",
        "T1110" => "Brute Force",
        "T1550.002" => "Use Alternate Authentication Material: Pass the Hash",
        "T1569.002" => "System Services: Service Execution",
        other => other,
    }
}

/// Deterministic ids: `type--uuid` from the case and what the object is about.
struct Ids {
    case: String,
}

impl Ids {
    fn id(&self, kind: &str, about: &str) -> String {
        let digest = Sha256::new()
            .chain_update(self.case.as_bytes())
            .chain_update([0])
            .chain_update(kind.as_bytes())
            .chain_update([0])
            .chain_update(about.as_bytes())
            .finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        format!("{kind}--{}", uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated())
    }
}

/// RFC 3339 with milliseconds, as STIX timestamps are written (`1970-01-01T00:00:00.000Z`
/// for a time that does not parse).
fn stix_time(s: &str) -> String {
    let t = hopscope_model::Time::parse(s).unwrap_or(hopscope_model::Time(0));
    let whole = hopscope_model::Time(t.0.div_euclid(1_000_000) * 1_000_000).to_rfc3339();
    format!("{}.{:03}Z", whole.trim_end_matches('Z'), t.0.rem_euclid(1_000_000) / 1000)
}

/// A string inside a STIX pattern: quotes and backslashes escaped.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The hop as a STIX pattern: the connection between the hosts (the internet side has no
/// name to match) and the account used.
fn pattern(h: &AlertHopView) -> String {
    let mut traffic = Vec::new();
    if let Some(src) = h.src_host.as_deref().filter(|s| *s != "internet") {
        traffic.push(format!("network-traffic:src_ref.value = {}", quoted(src)));
    }
    if let Some(dst) = h.dst_host.as_deref() {
        traffic.push(format!("network-traffic:dst_ref.value = {}", quoted(dst)));
    }
    let mut parts = Vec::new();
    if !traffic.is_empty() {
        parts.push(format!("[{}]", traffic.join(" AND ")));
    }
    if let Some(user) = &h.user {
        parts.push(format!("[user-account:user_id = {}]", quoted(user)));
    }
    if parts.is_empty() {
        parts.push("[network-traffic:dst_ref.value = '?']".to_string());
    }
    parts.join(" AND ")
}

fn evidence_list(refs: &[EvidenceRef]) -> String {
    refs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", ")
}

fn bundle(doc: &Document) -> Value {
    let c = &doc.case;
    let sources: Vec<&str> = c.sources.iter().map(|s| s.file.as_str()).collect();
    let ids = Ids {
        case: format!(
            "{}|{}|{}|{}",
            c.events,
            c.first_time.as_deref().unwrap_or("-"),
            c.last_time.as_deref().unwrap_or("-"),
            sources.join("|")
        ),
    };
    // the report describes the data as of its last event
    let now = stix_time(c.last_time.as_deref().unwrap_or("1970-01-01T00:00:00Z"));
    let identity = ids.id("identity", "hopscope");
    let common = |kind: &str, id: &str| json!({"type": kind, "spec_version": "2.1", "id": id, "created": now, "modified": now, "created_by_ref": identity});
    let with = |mut base: Value, more: Value| {
        if let (Some(b), Value::Object(m)) = (base.as_object_mut(), more) {
            b.extend(m);
        }
        base
    };
    let mut objects = vec![with(
        json!({"type": "identity", "spec_version": "2.1", "id": identity, "created": now, "modified": now}),
        json!({"name": "hopscope", "identity_class": "system", "description": "Traces an intruder's hops across a server fleet from authentication logs."}),
    )];
    let mut relationships = Vec::new();
    let relationship = |kind: &str,
                        src: &str,
                        dst: &str,
                        description: String,
                        start: Option<&str>| {
        let id = ids.id("relationship", &format!("{kind}|{src}|{dst}"));
        let mut r = with(
            common("relationship", &id),
            json!({"relationship_type": kind, "source_ref": src, "target_ref": dst, "description": description}),
        );
        if let (Some(t), Some(o)) = (start, r.as_object_mut()) {
            o.insert("start_time".into(), json!(stix_time(t)));
        }
        r
    };

    let hops: &[AlertHopView] = doc.alert.as_ref().map(|a| a.hops.as_slice()).unwrap_or_default();
    // ATT&CK techniques, each once, by id
    let mut techniques: Vec<&str> =
        hops.iter().flat_map(|h| h.techniques.iter().map(String::as_str)).collect();
    techniques.sort_unstable();
    techniques.dedup();
    for t in &techniques {
        objects.push(with(
            common("attack-pattern", &ids.id("attack-pattern", t)),
            json!({
                "name": technique_name(t),
                // no url: STIX wants a hash with a url, and a web page has none worth giving
                "external_references": [{"source_name": "mitre-attack", "external_id": t}],
                "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "lateral-movement"}],
            }),
        ));
    }

    // hosts on the path, in the order the intruder reached them
    let mut hosts: Vec<(String, Option<String>, String)> = Vec::new();
    for h in hops {
        for (name, country) in [(&h.src_host, &h.src_country), (&h.dst_host, &h.dst_country)] {
            if let Some(n) =
                name.as_deref().filter(|n| *n != "internet" && !hosts.iter().any(|x| x.0 == *n))
            {
                hosts.push((n.to_string(), country.clone(), h.time.clone()));
            }
        }
    }
    let infra = |name: &str| ids.id("infrastructure", name);
    for (name, country, first) in &hosts {
        let mut description = format!("Host {name}");
        if let Some(c) = country {
            description.push_str(&format!(" in {c}"));
        }
        description.push_str(&format!(", on the intruder's path from {first}."));
        if doc.summary.entry_host.as_deref() == Some(name.as_str())
            && !doc.summary.entry_why.is_empty()
        {
            description
                .push_str(&format!(" The entry point: {}.", doc.summary.entry_why.join("; ")));
        }
        objects.push(with(
            common("infrastructure", &infra(name)),
            json!({"name": name, "infrastructure_types": ["unknown"], "description": description, "first_seen": stix_time(first)}),
        ));
    }

    // each hop: an indicator, its sighting, and what it indicates
    let alert_id = doc.alert.as_ref().map(|a| a.id.as_str()).unwrap_or("-");
    for (i, h) in hops.iter().enumerate() {
        let src = h.src_host.as_deref().unwrap_or("?");
        let dst = h.dst_host.as_deref().unwrap_or("?");
        let user = h.user.as_deref().unwrap_or("?");
        let about = format!("{alert_id}|{i}|{}|{src}|{dst}|{user}", h.time);
        let indicator = ids.id("indicator", &about);
        let reason =
            doc.alert.as_ref().and_then(|a| a.reasons.get(i)).map(String::as_str).unwrap_or("");
        objects.push(with(
            common("indicator", &indicator),
            json!({
                "name": format!("hop {src} → {dst} as {user}"),
                "description": format!(
                    "Login {} from {src} to {dst} as {user} over {} {} ({:.1} bits of surprise): {reason}. Evidence: {}.",
                    h.time, h.auth.as_deref().unwrap_or("?"), h.logon_type, h.score, evidence_list(&h.evidence)
                ),
                "indicator_types": ["malicious-activity"],
                "pattern": pattern(h),
                "pattern_type": "stix",
                "pattern_version": "2.1",
                "valid_from": stix_time(&h.time),
                "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "lateral-movement"}],
            }),
        ));
        objects.push(with(
            common("sighting", &ids.id("sighting", &about)),
            json!({
                "description": format!("Seen in {}", evidence_list(&h.evidence)),
                "first_seen": stix_time(&h.time),
                "last_seen": stix_time(&h.time),
                "count": h.evidence.len().max(1),
                "sighting_of_ref": indicator,
                "where_sighted_refs": [identity],
            }),
        ));
        for t in &h.techniques {
            relationships.push(relationship(
                "indicates",
                &indicator,
                &ids.id("attack-pattern", t),
                format!("the hop shows {t} ({})", technique_name(t)),
                None,
            ));
        }
        if dst != "internet" && dst != "?" {
            relationships.push(relationship(
                "indicates",
                &indicator,
                &infra(dst),
                format!("the hop reached {dst}"),
                None,
            ));
        }
        if src != "internet" && src != "?" && dst != "internet" && dst != "?" {
            relationships.push(relationship(
                "communicates-with",
                &infra(src),
                &infra(dst),
                format!("{src} logged in to {dst} as {user} at {}", h.time),
                Some(&h.time),
            ));
        }
    }
    // a host pair hopped twice is one relationship, with its first time
    let mut seen = std::collections::BTreeSet::new();
    relationships.retain(|r| seen.insert(r["id"].as_str().unwrap_or_default().to_string()));
    objects.extend(relationships);

    let refs: Vec<Value> = objects.iter().map(|o| o["id"].clone()).collect();
    let name = match &doc.summary.alert_id {
        Some(id) => format!("hopscope report: alert {id}"),
        None => "hopscope report: no alert".to_string(),
    };
    let report = ids.id("report", &format!("{alert_id}|{}", doc.redacted));
    objects.push(with(
        common("report", &report),
        json!({"name": name, "description": doc.summary.text, "report_types": ["threat-report"], "published": now, "object_refs": refs}),
    ));
    json!({"type": "bundle", "id": ids.id("bundle", &format!("{alert_id}|{}", doc.redacted)), "objects": objects})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_have_milliseconds() {
        assert_eq!(stix_time("2019-09-05T12:04:05Z"), "2019-09-05T12:04:05.000Z");
        assert_eq!(stix_time("2019-09-05T12:04:05.250000Z"), "2019-09-05T12:04:05.250Z");
        assert_eq!(stix_time("garbage"), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn ids_are_stable_version_4_layout() {
        let ids = Ids { case: "c".into() };
        let a = ids.id("indicator", "x");
        assert_eq!(a, ids.id("indicator", "x"));
        assert_ne!(a, ids.id("indicator", "y"));
        assert_ne!(a, Ids { case: "d".into() }.id("indicator", "x"));
        let u = uuid::Uuid::parse_str(a.strip_prefix("indicator--").unwrap()).unwrap();
        assert_eq!(u.get_version_num(), 4);
    }

    #[test]
    fn patterns_quote_and_skip_the_internet() {
        let h = AlertHopView {
            time: "2019-09-05T12:04:05Z".into(),
            src_host: Some("internet".into()),
            dst_host: Some("o'brien".into()),
            user: Some(r"CORP\adm".into()),
            auth: None,
            logon_type: "network".into(),
            src_site: None,
            dst_site: None,
            src_country: None,
            dst_country: None,
            score: 1.0,
            features: vec![],
            techniques: vec![],
            evidence: vec![],
            log_notes: vec![],
        };
        assert_eq!(
            pattern(&h),
            r"[network-traffic:dst_ref.value = 'o\'brien'] AND [user-account:user_id = 'CORP\\adm']"
        );
    }
}
