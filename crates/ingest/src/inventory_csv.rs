//! Reading the fleet context: `hosts.csv`, `sites.csv` and `data.csv` from a directory.
//! Columns are found by header name (any order, extra columns ignored). A bad row is a
//! located problem and is skipped; the rest still loads.

use std::net::IpAddr;
use std::path::Path;

use hopscope_model::{
    parse_bool, parse_criticality, DataHolding, Inventory, InventoryHost, Lifecycle, Position, Site,
};

use crate::problems::{Problem, ProblemKind};

/// The inventory and what was wrong with it.
#[derive(Debug, Default)]
pub struct LoadedInventory {
    pub inventory: Inventory,
    pub problems: Vec<Problem>,
    /// Files read, with their row counts.
    pub files: Vec<(String, usize)>,
}

/// Read whichever of the three files exist in `dir`. The directory itself must exist.
pub fn load(dir: &Path) -> Result<LoadedInventory, crate::InputError> {
    if !dir.is_dir() {
        return Err(crate::InputError {
            path: dir.display().to_string(),
            message: "not a directory".into(),
        });
    }
    let mut out = LoadedInventory::default();
    let hosts = read_rows(&dir.join("hosts.csv"), &["host"], &mut out, host_row);
    let sites = read_rows(&dir.join("sites.csv"), &["cidr", "site", "country"], &mut out, site_row);
    let data = read_rows(&dir.join("data.csv"), &["host", "client"], &mut out, data_row);
    let (inventory, conflicts) = Inventory::new(hosts, sites, data);
    for c in conflicts {
        out.problems.push(Problem {
            file: dir.join("hosts.csv").display().to_string(),
            position: Position::Line(1),
            kind: ProblemKind::BadValue,
            message: c,
        });
    }
    out.inventory = inventory;
    Ok(out)
}

type Row<'a> = &'a dyn Fn(&str) -> &'a str;

fn read_rows<T>(
    path: &Path,
    required: &[&str],
    out: &mut LoadedInventory,
    parse: fn(Row<'_>) -> Result<T, String>,
) -> Vec<T> {
    let mut rows = Vec::new();
    if !path.exists() {
        return rows;
    }
    let file = path.display().to_string();
    let problem = |line: u64, kind, message: String| Problem {
        file: file.clone(),
        position: Position::Line(line),
        kind,
        message,
    };
    // inventory files are small: read whole, so that the rows after a broken one can be
    // read again on their own
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) => {
            out.problems.push(problem(1, ProblemKind::Unreadable, crate::input::io_message(&e)));
            return rows;
        }
    };
    let text = text.strip_prefix(crate::input::BOM).unwrap_or(&text);
    let reader = |bytes, headers| {
        csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .has_headers(headers)
            .from_reader(bytes)
    };
    let mut rdr = reader(text, true);
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_ascii_lowercase()).collect(),
        Err(e) => {
            out.problems.push(problem(1, ProblemKind::Unreadable, e.to_string()));
            return rows;
        }
    };
    let missing: Vec<&str> =
        required.iter().copied().filter(|r| !headers.iter().any(|h| h == r)).collect();
    if !missing.is_empty() {
        out.problems.push(problem(
            1,
            ProblemKind::Truncated,
            format!("header lacks column(s) {}", missing.join(", ")),
        ));
        return rows;
    }
    // the file line of the reader's line 1 is `base + 1`, its byte 0 the file's `base_byte`
    let (mut base, mut base_byte) = (0u64, 0usize);
    loop {
        let mut restart = None;
        for rec in rdr.records() {
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map(|p| base + p.line()).unwrap_or(0);
                    let kind = if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                        ProblemKind::InvalidUtf8
                    } else {
                        ProblemKind::Truncated
                    };
                    out.problems.push(problem(line, kind, e.to_string()));
                    continue;
                }
            };
            let (line, byte) =
                rec.position().map_or((0, 0), |p| (base + p.line(), base_byte + p.byte() as usize));
            // a field over several lines is a quote left open (no inventory value holds a
            // line break): it swallowed the rows after it. Said, and those rows read again.
            if let Some(f) = rec.iter().find(|f| f.contains(['\n', '\r'])) {
                let lines = f.split(['\n', '\r']).count();
                out.problems.push(problem(
                    line,
                    ProblemKind::Truncated,
                    format!(
                        "a quote opened on this line is not closed on it (the field runs over {lines} lines): the row is skipped, the lines after it are read on their own"
                    ),
                ));
                let next =
                    memchr::memchr(b'\n', &text[byte..]).map_or(text.len(), |i| byte + i + 1);
                restart = Some((line, next));
                break;
            }
            let get = |name: &str| -> &str {
                headers.iter().position(|h| h == name).and_then(|i| rec.get(i)).unwrap_or("")
            };
            match parse(&get) {
                Ok(r) => rows.push(r),
                Err(msg) => out.problems.push(problem(line, ProblemKind::BadValue, msg)),
            }
        }
        match restart {
            Some((line, next)) if next < text.len() => {
                (base, base_byte) = (line, next);
                rdr = reader(&text[next..], false);
            }
            _ => break,
        }
    }
    out.files.push((file, rows.len()));
    rows
}

fn host_row(get: Row<'_>) -> Result<InventoryHost, String> {
    let name = get("host");
    if name.is_empty() {
        return Err("empty host name".into());
    }
    let mut ips = Vec::new();
    for ip in get("ips").split([';', ' ', '|']).filter(|s| !s.is_empty()) {
        ips.push(
            ip.parse::<IpAddr>().map_err(|_| format!("column ips: not an IP address: {ip:?}"))?,
        );
    }
    let lifecycle = Lifecycle::parse(get("lifecycle")).ok_or_else(|| {
        format!(
            "column lifecycle: expected active, decommissioning or retired, found {:?}",
            get("lifecycle")
        )
    })?;
    let lp = get("last_patched");
    let last_patched = if lp.is_empty() {
        None
    } else {
        Some(lp.parse::<jiff::civil::Date>().map_err(|_| {
            format!("column last_patched: expected a date YYYY-MM-DD, found {lp:?}")
        })?)
    };
    Ok(InventoryHost {
        name: name.to_string(),
        ips,
        site: get("site").to_string(),
        country: get("country").to_string(),
        role: get("role").to_string(),
        owner: get("owner").to_string(),
        lifecycle,
        last_patched,
        internet_facing: parse_bool("internet_facing", get("internet_facing"))
            .map_err(|e| e.to_string())?,
        criticality: parse_criticality(get("criticality")).map_err(|e| e.to_string())?,
    })
}

fn site_row(get: Row<'_>) -> Result<Site, String> {
    let cidr = get("cidr");
    let net = cidr
        .parse::<ipnet::IpNet>()
        .or_else(|_| cidr.parse::<IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("column cidr: expected a CIDR such as 10.1.0.0/16, found {cidr:?}"))?;
    Ok(Site {
        cidr: net.trunc(),
        site: get("site").to_string(),
        country: get("country").to_string(),
    })
}

fn data_row(get: Row<'_>) -> Result<DataHolding, String> {
    let records = get("records");
    Ok(DataHolding {
        host: get("host").to_string(),
        client: get("client").to_string(),
        data_class: get("data_class").to_string(),
        records: if records.is_empty() {
            0
        } else {
            records.parse().map_err(|_| {
                format!("column records: expected a whole number, found {records:?}")
            })?
        },
        restricted: parse_bool("restricted", get("restricted")).map_err(|e| e.to_string())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_and_reports_bad_rows() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("hosts.csv"),
            "host,ips,site,country,role,owner,lifecycle,last_patched,internet_facing,criticality\n\
             sg-ops-03,10.3.0.3;203.0.113.9,singapore,Singapore,ops,it,decommissioning,2018-07-02,true,medium\n\
             jp-crm-01.corp.example,10.1.0.10,tokyo,Japan,database,crm,active,2020-01-10,false,critical\n\
             bad-01,10.9.9.9,x,y,z,w,zombie,,false,low\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("sites.csv"),
            "cidr,site,country\n10.3.0.0/16,singapore,Singapore\nnope,a,b\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("data.csv"),
            "host,client,data_class,records,restricted\njp-crm-01,Client 001,contracts,1200,false\n",
        )
        .unwrap();
        let l = load(dir.path()).unwrap();
        assert_eq!(l.inventory.hosts.len(), 2);
        assert_eq!(l.inventory.sites.len(), 1);
        assert_eq!(l.inventory.data.len(), 1);
        assert_eq!(l.problems.len(), 2, "{:?}", l.problems);
        assert!(l
            .problems
            .iter()
            .any(|p| p.position == Position::Line(4) && p.message.contains("lifecycle")));
        assert!(l
            .problems
            .iter()
            .any(|p| p.file.ends_with("sites.csv") && p.position == Position::Line(3)));
        let sg = &l.inventory.hosts[0];
        assert_eq!(sg.lifecycle, Lifecycle::Decommissioning);
        assert_eq!(sg.ips.len(), 2);
        assert!(sg.internet_facing);
        assert_eq!(l.inventory.host_by_name("JP-CRM-01"), Some(1));
        assert!(load(&dir.path().join("missing")).is_err());
    }

    /// A quote left open swallowed every row after it: now the broken row is a problem at its
    /// line, and the rows after it are read (another open quote further on, too).
    #[test]
    fn an_unterminated_quote_is_located_and_swallows_nothing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("hosts.csv"),
            "\u{feff}host,ips,site,lifecycle\n\
             a-01,10.0.0.1,x,active\n\
             \"b-02,10.0.0.2,x,active\n\
             c-03,10.0.0.3,x,active\n\
             d-04,\"10.0.0.4,x,active\n\
             e-05,10.0.0.5,x,active\n\
             f-06,10.0.0.6,x,active\n",
        )
        .unwrap();
        let l = load(dir.path()).unwrap();
        let names: Vec<&str> = l.inventory.hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["a-01", "c-03", "e-05", "f-06"], "{:?}", l.problems);
        let at: Vec<(Position, ProblemKind)> =
            l.problems.iter().map(|p| (p.position, p.kind)).collect();
        assert_eq!(
            at,
            [
                (Position::Line(3), ProblemKind::Truncated),
                (Position::Line(5), ProblemKind::Truncated)
            ]
        );
        assert!(l
            .problems
            .iter()
            .all(|p| p.file.ends_with("hosts.csv")
                && p.message.contains("quote opened on this line")));
    }
}
