//! Alerts as they happen: the detector's incremental outlet, for `hopscope watch`.
//!
//! A batch run reports alerts at the end ([`crate::Detector::finish`]); a follower cannot
//! wait for the end. With [`crate::Detector::follow_alerts`] on, the alert book records an
//! [`AlertEvent`] each time an alert first reaches the threshold (`Raised`) and each time a
//! raised alert gains a hop or absorbs another alert (`Grew`), with the whole alert as it
//! stood at that moment. [`fold`] turns the events back into the alert list, and it is the
//! same list `finish` gives before the budget: the two views are built by one function
//! from one book, so they cannot diverge (tested in `tests/stream.rs`).

use crate::detect::alert::Alert;

/// What happened to an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertEventKind {
    /// The alert reached the threshold: the first notification of it.
    Raised,
    /// A raised alert gained a hop, or absorbed another alert.
    Grew,
}

impl AlertEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertEventKind::Raised => "raised",
            AlertEventKind::Grew => "grew",
        }
    }
}

/// One alert event, in the order the detector produced them.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertEvent {
    pub kind: AlertEventKind,
    /// The alert as it stood right after the event.
    pub alert: Alert,
    /// Ids of raised alerts merged into this one by the event: they will not be reported
    /// again (their hops are now this alert's).
    pub absorbed: Vec<String>,
}

impl AlertEvent {
    /// A key unique among the events of one input: the alert id and how many hops the
    /// alert had after the event (each event adds at least one hop to its alert).
    pub fn key(&self) -> (String, u64) {
        (self.alert.id.clone(), self.alert.hops.len() as u64 + self.alert.hops_omitted as u64)
    }
}

/// The alerts a sequence of events leaves, in the order they were first raised: each
/// alert as its last event left it; absorbed alerts are gone.
pub fn fold(events: &[AlertEvent]) -> Vec<Alert> {
    let mut order: Vec<String> = Vec::new();
    let mut latest: std::collections::HashMap<String, Alert> = std::collections::HashMap::new();
    for e in events {
        for gone in &e.absorbed {
            latest.remove(gone);
        }
        if !latest.contains_key(&e.alert.id) && !order.contains(&e.alert.id) {
            order.push(e.alert.id.clone());
        }
        latest.insert(e.alert.id.clone(), e.alert.clone());
    }
    order.into_iter().filter_map(|id| latest.remove(&id)).collect()
}
