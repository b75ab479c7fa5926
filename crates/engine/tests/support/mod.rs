//! A fleet and its events built in code: a catalog resolved against an inventory, and
//! events appended by name.
#![allow(dead_code)]

use hopscope_model::{
    Catalog, DataHolding, Event, EventFlags, EventTable, Evidence, Inventory, InventoryHost,
    Lifecycle, LogonType, Orientation, Outcome, Position, SourceFormat, Time,
};

pub const S: i64 = 1_000_000;
pub const H: i64 = 3600 * S;
pub const D: i64 = 24 * H;

pub fn t(s: &str) -> Time {
    Time::parse(s).unwrap()
}

/// An inventory host.
pub fn host(name: &str, site: &str, country: &str) -> InventoryHost {
    InventoryHost {
        name: name.into(),
        site: site.into(),
        country: country.into(),
        ..Default::default()
    }
}

pub fn weak(mut h: InventoryHost, patched: &str) -> InventoryHost {
    h.lifecycle = Lifecycle::Decommissioning;
    h.last_patched = Some(patched.parse().unwrap());
    h.internet_facing = true;
    h
}

pub fn jewel(mut h: InventoryHost) -> InventoryHost {
    h.criticality = 4;
    h
}

pub fn holding(host: &str, client: &str, restricted: bool) -> DataHolding {
    DataHolding {
        host: host.into(),
        client: client.into(),
        data_class: "contracts".into(),
        records: 10,
        restricted,
    }
}

pub struct World {
    pub catalog: Catalog,
    pub inventory: Inventory,
    pub events: EventTable,
    source: u32,
    line: u64,
}

impl World {
    pub fn new(hosts: Vec<InventoryHost>, data: Vec<DataHolding>) -> World {
        let (inventory, conflicts) = Inventory::new(hosts, vec![], data);
        assert!(conflicts.is_empty(), "{conflicts:?}");
        let mut catalog = Catalog::default();
        catalog.hosts.add_inventory(&inventory);
        let source = catalog.sources.intern("logs/auth.log");
        World { catalog, inventory, events: EventTable::default(), source, line: 0 }
    }

    /// A world of `hosts` whose sites.csv holds `sites` (cidr, site name), all in Japan:
    /// addresses no inventory row names get the site of their range.
    pub fn with_sites(hosts: Vec<InventoryHost>, sites: &[(&str, &str)]) -> World {
        let mut w = World::new(hosts.clone(), vec![]);
        let sites = sites
            .iter()
            .map(|(cidr, name)| hopscope_model::Site {
                cidr: cidr.parse().unwrap(),
                site: (*name).into(),
                country: "Japan".into(),
            })
            .collect();
        w.inventory = Inventory::new(hosts, sites, vec![]).0;
        w
    }

    pub fn host_id(&mut self, name: &str) -> u32 {
        if name == "internet" {
            return self.catalog.hosts.internet();
        }
        self.catalog.hosts.resolve(&self.inventory, Some(name), None)
    }
    pub fn user_id(&mut self, name: &str) -> u32 {
        self.catalog.accounts.intern(name, None)
    }

    /// A successful network logon, Kerberos unless `auth` says otherwise.
    pub fn event(&mut self, time: Time, src: &str, dst: &str, user: &str, auth: &str) -> Event {
        self.line += 1;
        Event {
            time,
            src_host: self.host_id(src),
            src_ip: 0,
            dst_host: self.host_id(dst),
            dst_ip: 0,
            user: self.user_id(user),
            src_user: 0,
            auth: self.catalog.auths.intern(auth),
            logon_type: LogonType::Network,
            outcome: Outcome::Success,
            orientation: Orientation::LogOn,
            format: SourceFormat::Jsonl,
            event_id: 0,
            flags: EventFlags::default(),
            evidence: Evidence { source: self.source, position: Position::Line(self.line) },
        }
    }

    pub fn login(&mut self, time: Time, src: &str, dst: &str, user: &str, auth: &str) {
        let e = self.event(time, src, dst, user, auth);
        self.events.push(&e);
    }

    pub fn login_with(
        &mut self,
        time: Time,
        src: &str,
        dst: &str,
        user: &str,
        auth: &str,
        f: impl FnOnce(&mut Event),
    ) {
        let mut e = self.event(time, src, dst, user, auth);
        f(&mut e);
        self.events.push(&e);
    }

    pub fn sorted(&mut self) -> &EventTable {
        self.events.sort_by_time();
        &self.events
    }
}

/// Benign background: every `(src, dst, user)` route logs in every `every` from `from` for
/// `days`, at a fixed offset per route so hours look like office hours.
pub fn background(
    w: &mut World,
    routes: &[(&str, &str, &str)],
    from: Time,
    days: i64,
    per_day: i64,
) {
    for day in 0..days {
        for (k, (s, d, u)) in routes.iter().enumerate() {
            for j in 0..per_day {
                let at = Time(from.0 + day * D + H + (k as i64 % 7) * H + j * 37 * 60 * S);
                w.login(at, s, d, u, "Kerberos");
            }
        }
    }
}
