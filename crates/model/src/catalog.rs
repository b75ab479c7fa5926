//! The case's dictionaries: everything event columns refer to by id.

use crate::{AccountTable, HostDirectory, Interner};

/// Hosts, addresses, accounts and authentication labels of one case. Event columns hold
/// ids into these tables; id 0 is "none" in each.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Catalog {
    pub hosts: HostDirectory,
    /// Canonical address strings (`10.0.0.5`, `2001:db8::1`).
    pub addresses: Interner,
    pub accounts: AccountTable,
    /// Authentication package / protocol labels as sources spell them (`Kerberos`, `NTLM`,
    /// `password`, `publickey`).
    pub auths: Interner,
    /// Evidence sources: input file paths as given on the command line (and, for
    /// normalised input, the original files its rows cite). An event's `source` column is an
    /// id here.
    pub sources: Interner,
}
