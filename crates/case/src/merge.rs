//! `case merge`: shards into one case.
//!
//! A shard is an ordinary case, ingested where its logs are (one site, one collector) with
//! dictionaries of its own. Merging folds each shard's dictionaries into the case's, in the
//! order the shards are given: a name the case already holds keeps its id, a new one gets
//! the next id, in the shard's own id order. That is the order one ingest of every shard's
//! logs, shard after shard, would have given them, so the merged case has the same ids as
//! that ingest (shards ingested against the same inventory; see docs/shards.md for the one
//! exception). The shard's runs are linked into the case unchanged (hard links, or copies
//! across file systems) and read through a remap table ([`crate::remap`]); only the
//! dictionaries, the labels and the manifest are written.
//!
//! The merge is one writer of the case (it holds the case's lock) and commits like an
//! ingest: the manifest's rename is the commit point, so a merge that fails or is killed
//! midway leaves the case as it was (or no case). A merge that fails removes what it wrote
//! before it exits; the leftovers of one that is killed are removed by the next writer of
//! the same generation.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hopscope_model::{Catalog, Inventory};

use crate::manifest::{Manifest, ProblemExample, ShardEntry, SourceEntry};
use crate::range::OUT_OF_RANGE;
use crate::reader::{run_path, Case};
use crate::remap::Remap;
use crate::writer::CaseWriter;
use crate::CaseError;

/// Located examples kept per problem reason (as ingest keeps them).
const EXAMPLES_PER_KIND: usize = 5;

/// Why shards cannot be merged: said before anything is written when it can be known then.
fn refuse(path: &Path, message: String) -> CaseError {
    CaseError::Io { path: path.display().to_string(), message }
}

/// Merge `shards`, in this order, into the case at `dir` (created when missing; an existing
/// case keeps its ids and gains the shards' events). Returns the committed manifest.
///
/// Refused, with nothing committed: a shard that is the case itself or is given twice; a
/// shard whose inventory differs from the case's (or the first shard's); a shard holding an
/// input file whose content (SHA-256) the case or an earlier shard already holds (its events
/// would count twice); a shard whose runs fail their checksums.
pub fn merge(dir: &Path, shards: &[PathBuf]) -> Result<Manifest, CaseError> {
    // every shard is opened and checked before the case is opened for writing: a refusal
    // writes nothing, not even a new case's directory
    let root = crate::writer::resolved(dir);
    let mut opened: Vec<(&PathBuf, Case)> = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    for path in shards {
        let real = std::fs::canonicalize(path).map_err(|e| CaseError::io(path, e))?;
        if real == root {
            return Err(refuse(
                path,
                "is the case being merged into; a shard cannot be merged into itself".into(),
            ));
        }
        if root.starts_with(&real) {
            return Err(refuse(
                path,
                format!(
                    "holds the case {} in its directory; the case must lie outside every shard",
                    dir.display()
                ),
            ));
        }
        if real.starts_with(&root) {
            return Err(refuse(
                path,
                format!(
                    "lies inside the case {}; a shard must lie outside the case",
                    dir.display()
                ),
            ));
        }
        if seen.contains(&real) {
            return Err(refuse(path, "is given twice; its events would count twice".into()));
        }
        seen.push(real);
        let shard = Case::open(path)?;
        // a damaged shard is refused here rather than linked in
        shard.check_runs()?;
        opened.push((path, shard));
    }

    let (mut writer, existing, mut catalog, case_inventory) = CaseWriter::open(dir)?;
    let generation = writer.generation();

    let mut manifest = existing.clone().unwrap_or_default();
    // the inventory every shard must share: the case's when it exists, else the first shard's
    let mut inventory: Option<(Inventory, String)> =
        existing.as_ref().map(|_| (case_inventory, dir.display().to_string()));
    let mut contents: BTreeMap<String, String> = BTreeMap::new();
    for s in &manifest.sources {
        if let (Some(h), true) = (&s.sha256, s.bytes > 0) {
            contents.entry(h.clone()).or_insert_with(|| s.path.clone());
        }
    }
    // the checks against the case and the shards before: all of them before any run is linked
    for (path, shard) in &opened {
        let name = path.display().to_string();
        match &inventory {
            None => inventory = Some((shard.inventory.clone(), name.clone())),
            Some((inv, whose)) => {
                if let Some(d) = inventory_difference(inv, &shard.inventory) {
                    return Err(refuse(
                        path,
                        format!(
                            "its inventory conflicts with {whose}'s: {d}; every shard must be \
                             ingested against the same hosts.csv, sites.csv and data.csv \
                             (`hopscope ingest LOGS --inventory DIR --case SHARD`)"
                        ),
                    ));
                }
            }
        }
        for s in &shard.manifest.sources {
            let (Some(h), true) = (&s.sha256, s.bytes > 0) else { continue };
            if let Some(first) = contents.get(h) {
                return Err(refuse(
                    path,
                    format!(
                        "holds {} with the same content (sha256 {}) as {first}, which the case \
                         or an earlier shard already holds: its events would count twice",
                        s.path,
                        &h[..16.min(h.len())]
                    ),
                ));
            }
            contents.insert(h.clone(), format!("{} (shard {name})", s.path));
        }
    }

    let mut notes: Vec<String> = other_notes(&manifest);
    let mut examples: Vec<ProblemExample> = std::mem::take(&mut manifest.problem_examples);
    for (i, (path, shard)) in opened.iter().enumerate() {
        let path: &Path = path;
        let name = path.display().to_string();
        if existing.is_none() && i == 0 {
            // a new case takes the first shard's inventory, and its problems once
            manifest.inventory = shard.manifest.inventory.clone();
            for (k, n) in &shard.manifest.inventory.reasons {
                *manifest.problems.entry(k.clone()).or_default() += n;
            }
        }
        let label = shard_label(path);
        let (outer, renamed) = fold(&mut catalog, &shard.catalog, &label)?;
        outer.check(&catalog).map_err(|why| refuse(path, why))?;

        // one table per remap table the shard's runs go through (several for a merged shard)
        let mut tables: BTreeMap<Option<String>, Option<String>> = BTreeMap::new();
        for run in &shard.manifest.runs {
            let table = match tables.get(&run.remap) {
                Some(t) => t.clone(),
                None => {
                    let r = match shard.remap_of(run) {
                        Some(inner) => outer.after(&inner).map_err(|why| refuse(path, why))?,
                        None => outer.clone(),
                    };
                    let t = if r.is_identity() { None } else { Some(writer.add_remap(r, &name)?) };
                    tables.insert(run.remap.clone(), t.clone());
                    t
                }
            };
            writer.adopt_run(&run_path(&shard.dir, &run.file)?, run, table)?;
        }

        let mut labels = shard.labels()?;
        for l in &mut labels {
            outer.apply_label(l).map_err(|why| refuse(path, why))?;
        }
        writer.push_labels(labels);

        for s in &shard.manifest.sources {
            let mut e = s.clone();
            e.id = outer.sources.get(s.id as usize).copied().unwrap_or(0);
            if let Some(p) = renamed.get(&s.path) {
                e.path = p.clone();
            }
            manifest.sources.push(e);
        }
        for (from, to) in &renamed {
            notes.push(format!(
                "shard {name}: source {from} is named {to} in this case (another shard holds a file of that path)"
            ));
        }
        // problems: the shard's own (its inventory's are counted once; out-of-range events
        // are counted again at commit, over the whole case)
        for (k, n) in &shard.manifest.problems {
            let inv = shard.manifest.inventory.reasons.get(k).copied().unwrap_or(0);
            let own = if k == OUT_OF_RANGE { 0 } else { n.saturating_sub(inv) };
            if own > 0 {
                *manifest.problems.entry(k.clone()).or_default() += own;
            }
        }
        examples.extend(shard.manifest.problem_examples.iter().cloned());
        notes.extend(other_notes(&shard.manifest));
        manifest.shards.push(ShardEntry {
            path: name,
            generation: shard.manifest.generation,
            events: shard.manifest.events,
            sources: shard.manifest.sources.len() as u64,
            merged_into: generation,
        });
    }

    // examples: out-of-range ones are the commit's; the inventory's, alike in every shard, once
    let mut kept: BTreeMap<String, usize> = BTreeMap::new();
    let mut unique = BTreeSet::new();
    manifest.problem_examples = examples
        .into_iter()
        .filter(|e| e.kind != OUT_OF_RANGE)
        .filter(|e| unique.insert((e.kind.clone(), e.at.clone(), e.message.clone())))
        .filter(|e| {
            let n = kept.entry(e.kind.clone()).or_default();
            *n += 1;
            *n <= EXAMPLES_PER_KIND
        })
        .collect();
    // notes: what the sources say, grouped over every source as one ingest groups them,
    // then the others once each
    let mut all = source_notes(&manifest.sources);
    for n in notes {
        if !all.contains(&n) {
            all.push(n);
        }
    }
    manifest.notes = all;
    let inventory = inventory.map(|(i, _)| i).unwrap_or_default();
    writer.commit(&catalog, &inventory, manifest)
}

/// The notes of a manifest that are not its sources' notes grouped ([`source_notes`]).
fn other_notes(m: &Manifest) -> Vec<String> {
    let grouped = source_notes(&m.sources);
    m.notes.iter().filter(|n| !grouped.contains(n)).cloned().collect()
}

/// The sources' notes as ingest says them: a note of one source prefixed with its path, a
/// note of several said once with their count; in the order of the notes' text.
pub fn source_notes(sources: &[SourceEntry]) -> Vec<String> {
    let mut grouped: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for s in sources {
        for n in &s.notes {
            grouped.entry(n.as_str()).or_default().push(s.path.as_str());
        }
    }
    grouped
        .into_iter()
        .map(|(note, paths)| match paths.as_slice() {
            [one] => format!("{one}: {note}"),
            many => format!("{note} ({} sources)", many.len()),
        })
        .collect()
}

/// What a shard's colliding source paths are prefixed with: the shard as given.
fn shard_label(path: &Path) -> String {
    let s = path.display().to_string();
    let t = s.trim_end_matches('/');
    if t.is_empty() {
        s
    } else {
        t.to_string()
    }
}

/// Fold `shard`'s dictionaries into `catalog`: the case id of every shard id, and the
/// sources renamed (`LABEL:path`) because the case already names another file so.
fn fold(
    catalog: &mut Catalog,
    shard: &Catalog,
    label: &str,
) -> Result<(Remap, BTreeMap<String, String>), CaseError> {
    let mut r = Remap::default();
    for (_, h) in shard.hosts.iter() {
        r.hosts.push(catalog.hosts.adopt(h));
    }
    for (_, a) in shard.addresses.iter() {
        r.addresses.push(catalog.addresses.intern(a));
    }
    for (_, a) in shard.accounts.iter() {
        r.accounts.push(catalog.accounts.intern(&a.name, a.domain.as_deref()));
    }
    for (_, a) in shard.auths.iter() {
        r.auths.push(catalog.auths.intern(a));
    }
    // evidence sources are files of this shard: never one the case already names, so that
    // `file:line` stays unambiguous (and the map increases, which the run order needs)
    let mut renamed = BTreeMap::new();
    for (_, s) in shard.sources.iter() {
        let name = if catalog.sources.get(s).is_some() {
            let q = format!("{label}:{s}");
            if catalog.sources.get(&q).is_some() {
                return Err(CaseError::Io {
                    path: label.to_string(),
                    message: format!(
                        "its source {s} is named {q} by the case already; merge it under another directory name"
                    ),
                });
            }
            renamed.insert(s.to_string(), q.clone());
            q
        } else {
            s.to_string()
        };
        r.sources.push(catalog.sources.intern(&name));
    }
    Ok((r, renamed))
}

/// The first difference between two inventories, in words; `None` when they are the same.
pub fn inventory_difference(a: &Inventory, b: &Inventory) -> Option<String> {
    for (what, x, y) in [
        ("hosts", a.hosts.len(), b.hosts.len()),
        ("sites", a.sites.len(), b.sites.len()),
        ("data", a.data.len(), b.data.len()),
    ] {
        if x != y {
            return Some(format!("{what}.csv rows: {x} there, {y} here"));
        }
    }
    for (x, y) in a.hosts.iter().zip(&b.hosts) {
        if x == y {
            continue;
        }
        if x.name != y.name {
            return Some(format!(
                "host rows in another order or other hosts ({:?} there, {:?} here)",
                x.name, y.name
            ));
        }
        let fields: [(&str, String, String); 9] = [
            ("ips", format!("{:?}", x.ips), format!("{:?}", y.ips)),
            ("site", x.site.clone(), y.site.clone()),
            ("country", x.country.clone(), y.country.clone()),
            ("role", x.role.clone(), y.role.clone()),
            ("owner", x.owner.clone(), y.owner.clone()),
            ("lifecycle", x.lifecycle.as_str().into(), y.lifecycle.as_str().into()),
            ("last_patched", format!("{:?}", x.last_patched), format!("{:?}", y.last_patched)),
            ("internet_facing", x.internet_facing.to_string(), y.internet_facing.to_string()),
            ("criticality", x.criticality.to_string(), y.criticality.to_string()),
        ];
        return Some(match fields.iter().find(|(_, v, w)| v != w) {
            Some((f, v, w)) => format!("host {:?}: {f} {v:?} there, {w:?} here", x.name),
            None => format!("host {:?} differs", x.name),
        });
    }
    if let Some((x, y)) = a.sites.iter().zip(&b.sites).find(|(x, y)| x != y) {
        return Some(format!(
            "site row {} {} {} there, {} {} {} here",
            x.cidr, x.site, x.country, y.cidr, y.site, y.country
        ));
    }
    if let Some((x, y)) = a.data.iter().zip(&b.data).find(|(x, y)| x != y) {
        return Some(format!(
            "data row of host {:?} client {:?} there, of host {:?} client {:?} here (or their classes, counts, restriction)",
            x.host, x.client, y.host, y.client
        ));
    }
    None
}
