//! The fleet context as a CMDB would export it: `hosts.csv`, `sites.csv`, `data.csv`
//! (the schemas ingest's `inventory_csv` reads), each with a header row and sorted.

use std::fmt::Write as _;
use std::path::Path;

use hopscope_model::criticality_name;

use crate::clients::Holding;
use crate::world::World;
use crate::SimError;

/// A CSV field, quoted when it has to be.
fn field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

fn row(out: &mut String, fields: &[&str]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        field(out, f);
    }
    out.push('\n');
}

/// `hosts.csv`: every host that existed during the simulation, sorted by name.
pub fn hosts_csv(w: &World) -> String {
    let mut out = String::from(
        "host,ips,site,country,role,owner,lifecycle,last_patched,internet_facing,criticality\n",
    );
    let mut ids: Vec<u32> = w.fleet.ids().collect();
    ids.sort_by(|a, b| w.fleet.host(*a).name.cmp(&w.fleet.host(*b).name));
    for h in ids {
        let x = w.fleet.host(h);
        let site = &w.fleet.sites[x.site as usize];
        let mut ips = x.ip.to_string();
        if let Some(p) = x.public_ip {
            let _ = write!(ips, ";{p}");
        }
        row(
            &mut out,
            &[
                &x.name,
                &ips,
                &site.name,
                &site.country,
                x.role.as_str(),
                &x.owner,
                x.lifecycle.as_str(),
                &x.last_patched.to_string(),
                if x.internet_facing { "true" } else { "false" },
                criticality_name(x.criticality),
            ],
        );
    }
    out
}

/// `sites.csv`: one `10.<octet>.0.0/16` per site, sorted by CIDR.
pub fn sites_csv(w: &World) -> String {
    let mut rows: Vec<(u8, String, String)> =
        w.fleet.sites.iter().map(|s| (s.octet, s.name.clone(), s.country.clone())).collect();
    rows.sort();
    let mut out = String::from("cidr,site,country\n");
    for (octet, name, country) in rows {
        row(&mut out, &[&format!("10.{octet}.0.0/16"), &name, &country]);
    }
    out
}

/// `data.csv`: which host holds which client's data (rows already sorted).
pub fn data_csv(rows: &[Holding]) -> String {
    let mut out = String::from("host,client,data_class,records,restricted\n");
    for h in rows {
        row(
            &mut out,
            &[
                &h.host,
                &h.client,
                &h.data_class,
                &h.records.to_string(),
                if h.restricted { "true" } else { "false" },
            ],
        );
    }
    out
}

/// Write the three files into `dir`.
pub fn write(w: &World, data: &[Holding], dir: &Path) -> Result<(), SimError> {
    for (name, text) in
        [("hosts.csv", hosts_csv(w)), ("sites.csv", sites_csv(w)), ("data.csv", data_csv(data))]
    {
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(|e| SimError::Io(format!("{}: {e}", p.display())))?;
    }
    Ok(())
}
