//! Reading the fleet context: `hosts.csv`, `sites.csv` and `data.csv` from a directory.
//! Columns are found by header name (any order, extra columns ignored). A bad row is a
//! located problem and is skipped; the rest still loads.
//!
//! Each file is read as a stream, one line at a time: no inventory value holds a line break,
//! so a row is one line, and memory holds one line of at most [`crate::input::MAX_LINE`]
//! bytes besides the rows kept. A longer line is an `overlong-line` problem at its line.

use std::net::IpAddr;
use std::path::Path;

use hopscope_model::{
    parse_bool, parse_criticality, DataHolding, Inventory, InventoryHost, Lifecycle, Position, Site,
};

use crate::problems::{Problem, ProblemKind, ProblemTally};

/// Problems kept of each reason (all are counted): an inventory of a million bad rows holds
/// this many, not a million.
pub const KEPT_PER_KIND: usize = 100;

/// How much of a value a problem's message quotes.
const QUOTED: usize = 200;

/// The inventory and what was wrong with it.
#[derive(Debug, Default)]
pub struct LoadedInventory {
    pub inventory: Inventory,
    /// The first [`KEPT_PER_KIND`] problems of each reason, in the order they were found.
    pub problems: Vec<Problem>,
    /// Every problem, counted by reason.
    pub counts: std::collections::BTreeMap<ProblemKind, u64>,
    /// Files read, with their row counts.
    pub files: Vec<(String, usize)>,
}

impl LoadedInventory {
    /// Count `p`, and keep it when fewer than [`KEPT_PER_KIND`] of its reason are kept.
    fn problem(&mut self, mut p: Problem) {
        let n = self.counts.entry(p.kind).or_default();
        *n += 1;
        if *n <= KEPT_PER_KIND as u64 {
            if p.message.len() > QUOTED * 2 {
                let mut cut = QUOTED * 2;
                while !p.message.is_char_boundary(cut) {
                    cut -= 1;
                }
                p.message.truncate(cut);
                p.message.push('…');
            }
            self.problems.push(p);
        }
    }

    /// Every problem counted, at most [`crate::problems::EXAMPLES_PER_KIND`] of each reason
    /// as examples.
    pub fn tally(&self) -> ProblemTally {
        let mut t = ProblemTally::default();
        for p in &self.problems {
            t.add(p.clone());
        }
        for (k, n) in &self.counts {
            t.counts.insert(*k, *n);
        }
        t
    }

    /// How many problems there were, kept or not.
    pub fn problem_count(&self) -> u64 {
        self.counts.values().sum()
    }
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
        out.problem(Problem {
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
    // read as a stream, one line at a time: no inventory value holds a line break, so a
    // record is one line, held at most MAX_LINE bytes (a longer one is a located problem)
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            out.problem(problem(1, ProblemKind::Unreadable, crate::input::io_message(&e)));
            return rows;
        }
    };
    let mut lines = crate::input::LineReader::new(std::io::BufReader::with_capacity(
        1 << 16,
        crate::input::StripBom::new(f),
    ));
    let mut line = Vec::new();
    let mut n = 0u64;
    let mut headers: Option<Vec<String>> = None;
    let before = out.problem_count();
    loop {
        let overlong = match lines.next_line(&mut line) {
            Ok(Some(o)) => o,
            Ok(None) => break,
            Err(e) => {
                out.problem(problem(n + 1, ProblemKind::Unreadable, crate::input::io_message(&e)));
                break;
            }
        };
        n += 1;
        if overlong {
            out.problem(problem(
                n,
                ProblemKind::OverlongLine,
                format!(
                    "line longer than {} bytes (a row of an inventory is one line): the row is skipped",
                    crate::input::MAX_LINE
                ),
            ));
            if headers.is_none() {
                break; // no header, no columns: nothing after it can be read
            }
            continue;
        }
        if line.is_empty() {
            continue; // as the csv crate does: an empty line is no row
        }
        // a field over several lines is a quote left open (no inventory value holds a line
        // break): said, and the lines after it read on their own
        if quote_left_open(&line) {
            out.problem(problem(
                n,
                ProblemKind::Truncated,
                "a quote opened on this line is not closed on it: the row is skipped, the lines after it are read on their own".into(),
            ));
            if headers.is_none() {
                break;
            }
            continue;
        }
        let rec = match one_record(&line) {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(e) => {
                let kind = if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    ProblemKind::InvalidUtf8
                } else {
                    ProblemKind::Truncated
                };
                out.problem(problem(n, kind, e.to_string()));
                if headers.is_none() {
                    break;
                }
                continue;
            }
        };
        let Some(headers) = &headers else {
            let h: Vec<String> = rec.iter().map(|s| s.trim().to_ascii_lowercase()).collect();
            let missing: Vec<&str> =
                required.iter().copied().filter(|r| !h.iter().any(|x| x == r)).collect();
            if !missing.is_empty() {
                out.problem(problem(
                    n,
                    ProblemKind::Truncated,
                    format!("header lacks column(s) {}", missing.join(", ")),
                ));
                return rows;
            }
            headers = Some(h);
            continue;
        };
        let get = |name: &str| -> &str {
            headers.iter().position(|h| h == name).and_then(|i| rec.get(i)).unwrap_or("")
        };
        match parse(&get) {
            Ok(r) => rows.push(r),
            Err(msg) => out.problem(problem(n, ProblemKind::BadValue, msg)),
        }
    }
    if headers.is_none() {
        let said = out.problem_count() > before;
        if !said {
            out.problem(problem(
                1,
                ProblemKind::Truncated,
                format!("header lacks column(s) {}", required.join(", ")),
            ));
        }
        return rows;
    }
    out.files.push((file, rows.len()));
    rows
}

/// Whether a quote opened in `line` is still open at its end, as the csv crate reads quotes:
/// a `"` opens a quoted field only at the start of a field, `""` inside one is a quote.
fn quote_left_open(line: &[u8]) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum S {
        Start,
        Field,
        Quoted,
        QuoteInQuoted,
    }
    let mut s = S::Start;
    for &b in line {
        s = match (s, b) {
            (S::Start, b'"') => S::Quoted,
            (S::Quoted, b'"') => S::QuoteInQuoted,
            (S::Quoted, _) => S::Quoted,
            (S::QuoteInQuoted, b'"') => S::Quoted,
            (_, b',') => S::Start,
            _ => S::Field,
        };
    }
    s == S::Quoted
}

/// The one record a line holds (`None` for none), trimmed.
fn one_record(line: &[u8]) -> Result<Option<csv::StringRecord>, csv::Error> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .has_headers(false)
        .buffer_capacity(line.len().clamp(64, 1 << 16))
        .from_reader(line);
    let mut rec = csv::StringRecord::new();
    Ok(rdr.read_record(&mut rec)?.then_some(rec))
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

    /// A row longer than a line may be (a 64 MB field, an endless line) is a located
    /// problem, never held whole: the rows before and after it read at their lines, in every
    /// file; an overlong header is the file's one problem.
    #[test]
    fn an_overlong_row_is_located_and_the_rest_read() {
        let dir = tempfile::tempdir().unwrap();
        let huge = "x".repeat(crate::input::MAX_LINE + 10);
        std::fs::write(
            dir.path().join("hosts.csv"),
            format!("host,site\na-01,x\n{huge},y\nb-02,\"{huge}\"\nc-03,z\n"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("sites.csv"),
            format!("cidr,site,country\r10.0.0.0/8,s,c\r10.1.0.0/16,{huge}\r10.2.0.0/16,t,d\r"),
        )
        .unwrap();
        std::fs::write(dir.path().join("data.csv"), format!("host,client{huge}\na,b\n")).unwrap();
        let l = load(dir.path()).unwrap();
        let names: Vec<&str> = l.inventory.hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["a-01", "c-03"]);
        let sites: Vec<&str> = l.inventory.sites.iter().map(|s| s.site.as_str()).collect();
        assert_eq!(sites, ["s", "t"]);
        assert!(l.inventory.data.is_empty());
        let at: Vec<(&str, Position, ProblemKind)> = l
            .problems
            .iter()
            .map(|p| (&p.file[p.file.rfind('/').unwrap() + 1..], p.position, p.kind))
            .collect();
        assert_eq!(
            at,
            [
                ("hosts.csv", Position::Line(3), ProblemKind::OverlongLine),
                ("hosts.csv", Position::Line(4), ProblemKind::OverlongLine),
                ("sites.csv", Position::Line(3), ProblemKind::OverlongLine),
                ("data.csv", Position::Line(1), ProblemKind::OverlongLine),
            ]
        );
        assert!(l.problems.iter().all(|p| p.message.contains("longer than 1048576 bytes")));
    }

    proptest::proptest! {
        /// A quote is left open on a line exactly when the csv crate, reading that line and
        /// the next, runs a field over the line break.
        #[test]
        fn a_quote_is_left_open_as_the_csv_crate_reads_it(line in "[a\",  ]{0,12}") {
            let text = format!("{line}\nnext,row\n");
            let mut rdr = csv::ReaderBuilder::new()
                .flexible(true)
                .has_headers(false)
                .from_reader(text.as_bytes());
            let mut rec = csv::ByteRecord::new();
            rdr.read_byte_record(&mut rec).unwrap();
            let runs_over = rec.iter().any(|f| f.contains(&b'\n'));
            proptest::prop_assert_eq!(quote_left_open(line.as_bytes()), runs_over);
        }
    }
}
