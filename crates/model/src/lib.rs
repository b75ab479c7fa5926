//! hopscope's event model.
//!
//! Everything every other crate agrees on: what a login event is ([`EventTable`], stored
//! column-wise), how hosts, accounts and addresses are interned to integer ids
//! ([`Interner`], [`HostDirectory`]), what the fleet looks like ([`Inventory`]) and how time is
//! kept ([`Time`]).
//!
//! Architecture invariant: this crate does no I/O and knows no file format. Ingest turns
//! files into these types; the case store persists them; the engine computes over them.

mod catalog;
mod event;
mod hosts;
mod intern;
mod inventory;
mod switch;
mod tamper;
mod time;

pub use catalog::Catalog;
pub use event::{
    Event, EventFlags, EventTable, Evidence, LogonType, Orientation, Outcome, Position,
    SourceFormat, NONE,
};
pub use hosts::{fold_host_name, HostDirectory, HostKind, HostRecord, INTERNET};
pub use intern::{fold_domain, fold_key, Account, AccountTable, Interner};
pub use inventory::{
    canonical_ip, criticality_name, is_private, parse_bool, parse_criticality, read_role,
    AddressClass, DataHolding, Inventory, InventoryError, InventoryHost, Lifecycle, RoleCensus,
    RoleClass, RoleReading, Site, ROLE_WORDS,
};
pub use switch::{CredentialSwitch, SwitchKind};
pub use tamper::{TamperKind, Tampering};
pub use time::{Time, TimeError};
