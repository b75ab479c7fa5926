//! MITRE ATT&CK technique ids for a hop.

use crate::detect::score::{Contribution, Feature};
use crate::fleet::{AuthKind, Fleet};
use crate::graph::Hop;
use hopscope_model::{EventFlags, LogonType, SourceFormat};

pub const SSH: &str = "T1021.004";
pub const RDP: &str = "T1021.001";
pub const SMB_ADMIN_SHARES: &str = "T1021.002";
pub const WINRM: &str = "T1021.006";
pub const VALID_ACCOUNTS: &str = "T1078";
pub const PASS_THE_HASH: &str = "T1550.002";
pub const SERVICE_EXECUTION: &str = "T1569.002";
pub const BRUTE_FORCE: &str = "T1110";

/// Every technique id [`techniques`] gives.
pub const ALL: [&str; 8] = [
    SSH,
    RDP,
    SMB_ADMIN_SHARES,
    WINRM,
    VALID_ACCOUNTS,
    PASS_THE_HASH,
    SERVICE_EXECUTION,
    BRUTE_FORCE,
];

/// Read technique ids back from a detector checkpoint as the static ids of [`ALL`]; an id
/// this build does not know is an error (the checkpoint came from another version).
pub(crate) fn deserialize_techniques<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<&'static str>, D::Error> {
    let ids: Vec<String> = serde::Deserialize::deserialize(d)?;
    ids.iter()
        .map(|id| {
            ALL.iter()
                .copied()
                .find(|t| t == id)
                .ok_or_else(|| serde::de::Error::custom(format!("unknown ATT&CK technique {id:?}")))
        })
        .collect()
}

/// Techniques a hop shows, sorted by id.
///
/// Remote-service sub-techniques come from the protocol (SSH methods, sshd logs), the logon
/// type (remote-interactive over a Windows package is RDP), the labels (`WinRM`) and the
/// flags (admin share, service install). Every successful hop with a known account is also
/// T1078 (valid accounts).
pub fn techniques(hop: &Hop, contributions: &[Contribution], fleet: &Fleet) -> Vec<&'static str> {
    let auth = fleet.auth(hop.auth);
    let mut t = Vec::new();
    if auth.is_ssh() || hop.format == SourceFormat::Sshd {
        t.push(SSH);
    } else if hop.logon_type == LogonType::RemoteInteractive {
        t.push(RDP);
    }
    if hop.flags.contains(EventFlags::ADMIN_SHARE) {
        t.push(SMB_ADMIN_SHARES);
    }
    if auth == AuthKind::WinRm {
        t.push(WINRM);
    }
    if hop.user != 0 {
        t.push(VALID_ACCOUNTS);
    }
    if hop.flags.contains(EventFlags::PASS_THE_HASH)
        || (hop.logon_type == LogonType::NewCredentials && auth == AuthKind::Ntlm)
    {
        t.push(PASS_THE_HASH);
    }
    if hop.flags.contains(EventFlags::SERVICE_INSTALL) {
        t.push(SERVICE_EXECUTION);
    }
    if contributions.iter().any(|c| matches!(c.feature, Feature::BruteForce { .. })) {
        t.push(BRUTE_FORCE);
    }
    t.sort_unstable();
    t.dedup();
    t
}
