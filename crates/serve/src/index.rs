//! The case as `serve` holds it: loaded once at start, with what the pages need indexed.
//!
//! One pass over the case's events (the same stream `detect` reads) feeds the detector, the
//! coverage builder and the list of successful logins; the audit runs over those logins. The
//! pages then look things up by id: logins by host and by account, first-seen edges, alerts
//! by host. Names become ids through maps built from the catalog.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use hopscope_case::{Case, Manifest};
use hopscope_engine::coverage::{Coverage, CoverageBuilder};
use hopscope_engine::{
    audit, collect_logins, Alert, AuditConfig, DetectConfig, Detector, Fleet, Hop,
};
use hopscope_model::{Catalog, Inventory, Time};
use hopscope_report::redact::{RedactionKey, Redactor};
use hopscope_report::view::{note_tampering, AuditView, DetectionView};

/// A successful login's (source, destination) pair: when it was first and last seen, how often.
#[derive(Clone, Debug)]
pub struct Edge {
    pub src: u32,
    pub dst: u32,
    /// Index into [`Explorer::logins`] of the first login over this edge.
    pub first: u32,
    pub last: Time,
    pub count: u64,
}

/// Everything the pages read, built once at start.
pub struct Explorer {
    /// The case folder's name, as the pages title it.
    pub name: String,
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub catalog: Catalog,
    pub inventory: Inventory,
    /// `detect`'s JSON view of the case, with its defaults or the flags `serve` was given.
    pub detection: DetectionView,
    pub audit: AuditView,
    /// The alerts of `detection`, as the engine gives them (what trace and scope start from).
    pub alerts: Vec<Alert>,
    /// The hosts as the detector saw them by the end (doors and address pools learned).
    pub fleet: Fleet,
    /// What the case's logs cover (the notes on what they cannot show).
    pub coverage: Coverage,
    /// The detection settings (the trace's warmup).
    pub config: DetectConfig,
    /// Just after the last event.
    pub end: Time,
    /// Every successful login, in time order (what trace, scope and audit read).
    pub logins: Vec<Hop>,
    /// By host id: indices into `logins` of the logins into or out of it, in time order.
    pub by_host: Vec<Vec<u32>>,
    /// By account id: indices into `logins` of the logins with it on either side.
    pub by_account: Vec<Vec<u32>>,
    /// Every edge, in order of first sight.
    pub edges: Vec<Edge>,
    /// By host id: indices into `edges` of its edges in or out.
    pub edges_by_host: Vec<Vec<u32>>,
    /// By host name: indices into `detection.alerts` of the alerts with a hop into or out of it.
    pub alerts_by_host: BTreeMap<String, Vec<usize>>,
    hosts_by_name: HashMap<String, u32>,
    accounts_by_name: HashMap<String, u32>,
    /// The redaction of the case's key (`--redact`, and the pages' redaction switch); `None`
    /// when the key could not be read or made.
    pub redactor: Option<Redactor>,
    /// The case's redaction key (scope names clients by its pseudonyms).
    pub key: Option<RedactionKey>,
    /// Why there is no redactor, when there is none.
    pub redactor_error: Option<String>,
    /// Time spent loading, in milliseconds.
    pub load_ms: u128,
}

impl Explorer {
    /// Open the case at `dir` and index it. `need_redaction`: the key must be had (`--redact`).
    pub fn load(dir: &Path, config: DetectConfig, need_redaction: bool) -> Result<Explorer> {
        let started = std::time::Instant::now();
        let case = Case::open(dir).with_context(|| format!("case {}", dir.display()))?;
        let (key, redactor_error) = match RedactionKey::of_case(dir) {
            Ok(key) => (Some(key), None),
            Err(e) if need_redaction => return Err(e).context("the case's redaction key"),
            Err(e) => (None, Some(e.to_string())),
        };
        let redactor = key.as_ref().map(|k| Redactor::new(&case.inventory, k));
        let c = &case.catalog;
        let mut detector = Detector::new(c, &case.inventory, config.clone());
        let mut coverage = CoverageBuilder::new();
        let mut logins = Vec::new();
        let mut end = Time::MIN;
        for t in case.events(1 << 16)? {
            let t = t?;
            detector.feed(&t);
            coverage.feed(&t, Time::MAX);
            if let Some(&last) = t.time.last() {
                end = end.max(Time(last + 1));
            }
            collect_logins(&t, Time::MAX, &mut logins);
        }
        let detection = detector.finish(c);
        let fleet = Fleet::new(c, &case.inventory).with_learned(detection.learned.clone());
        let mut view = DetectionView::new(&detection, c, &fleet, "hopper", &config, None);
        let coverage = coverage.finish();
        note_tampering(&mut view.alerts, &coverage, c);
        let audit_config = AuditConfig { as_of: end, ..AuditConfig::default() };
        let patch_age = (audit_config.patch_age / hopscope_engine::DAY) as u32;
        let audit_view =
            AuditView::new(&audit(&logins, c, &fleet, &audit_config), c, end, patch_age);

        let hosts = c.hosts.len() + 1;
        let accounts = c.accounts.len() + 1;
        let mut by_host = vec![Vec::new(); hosts];
        let mut by_account = vec![Vec::new(); accounts];
        let mut edge_at: HashMap<(u32, u32), u32> = HashMap::new();
        let mut edges: Vec<Edge> = Vec::new();
        for (i, h) in logins.iter().enumerate() {
            let i = i as u32;
            for host in [h.src, h.dst] {
                if let Some(v) = by_host.get_mut(host as usize) {
                    if v.last() != Some(&i) {
                        v.push(i);
                    }
                }
            }
            for a in [h.user, h.src_user] {
                if a != 0 {
                    if let Some(v) = by_account.get_mut(a as usize) {
                        if v.last() != Some(&i) {
                            v.push(i);
                        }
                    }
                }
            }
            let e = *edge_at.entry((h.src, h.dst)).or_insert_with(|| {
                edges.push(Edge { src: h.src, dst: h.dst, first: i, last: h.time, count: 0 });
                (edges.len() - 1) as u32
            });
            let e = &mut edges[e as usize];
            e.last = h.time;
            e.count += 1;
        }
        let mut edges_by_host = vec![Vec::new(); hosts];
        for (i, e) in edges.iter().enumerate() {
            for host in [e.src, e.dst] {
                if let Some(v) = edges_by_host.get_mut(host as usize) {
                    if v.last() != Some(&(i as u32)) {
                        v.push(i as u32);
                    }
                }
            }
        }
        let mut alerts_by_host: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, a) in view.alerts.iter().enumerate() {
            for h in &a.hops {
                for name in [&h.src_host, &h.dst_host].into_iter().flatten() {
                    let v = alerts_by_host.entry(name.clone()).or_default();
                    if v.last() != Some(&i) {
                        v.push(i);
                    }
                }
            }
        }
        let mut hosts_by_name = HashMap::new();
        for (id, r) in c.hosts.iter() {
            hosts_by_name.entry(r.name.clone()).or_insert(id);
        }
        let mut accounts_by_name = HashMap::new();
        for (id, a) in c.accounts.iter() {
            accounts_by_name.entry(a.display()).or_insert(id);
        }
        let name = dir
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| dir.display().to_string());
        let mut explorer = Explorer {
            name,
            dir: dir.to_path_buf(),
            manifest: case.manifest,
            catalog: case.catalog,
            inventory: case.inventory,
            detection: view,
            audit: audit_view,
            alerts: detection.alerts,
            fleet,
            coverage,
            config,
            end,
            logins,
            by_host,
            by_account,
            edges,
            edges_by_host,
            alerts_by_host,
            hosts_by_name,
            accounts_by_name,
            redactor,
            key,
            redactor_error,
            load_ms: 0,
        };
        // a name as a redacted page shows it finds its page too
        if let Some(r) = &explorer.redactor {
            let mut more = Vec::new();
            for (name, &id) in &explorer.hosts_by_name {
                if let Some(red) = r.text(name) {
                    more.push((red, id));
                }
            }
            for (red, id) in more {
                explorer.hosts_by_name.entry(red).or_insert(id);
            }
            let mut more = Vec::new();
            for (name, &id) in &explorer.accounts_by_name {
                if let Some(red) = r.text(name) {
                    more.push((red, id));
                }
            }
            for (red, id) in more {
                explorer.accounts_by_name.entry(red).or_insert(id);
            }
        }
        explorer.load_ms = started.elapsed().as_millis();
        Ok(explorer)
    }

    /// The host named `name` (as the catalog or a redacted page spells it).
    pub fn host(&self, name: &str) -> Option<u32> {
        self.hosts_by_name.get(name).copied().or_else(|| self.catalog.hosts.find(name))
    }

    /// The account named `name` (`name@domain` or `name`, as pages show it).
    pub fn account(&self, name: &str) -> Option<u32> {
        self.accounts_by_name.get(name).copied()
    }

    /// The index of the alert with id `id`.
    pub fn alert(&self, id: &str) -> Option<usize> {
        self.detection.alerts.iter().position(|a| a.id == id)
    }
}
