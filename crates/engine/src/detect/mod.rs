//! Detection: one streaming pass in time order, events in, alerts out.
//!
//! The files import one way, in the order the pass uses them: what was seen before
//! ([`history`], its tables in `pairs`), logins linked into hop chains ([`chain`], with the
//! likeliest [`arrival`] into each inner host), each hop scored in bits of surprise
//! ([`score`], worded by [`explain`], tagged by [`attack`]), suspicious hops gathered into
//! alerts ([`alert`], with their lead-in hops from [`lead`]), the daily [`budget`], and the
//! [`detector`] that drives them, with [`stream`] handing alert events to `watch` and
//! [`probe`] answering questions about one hop. [`rule`] is the unseen-edge baseline.
//! [`switch`] remembers the credential switches logged on each host, which the detector
//! links chains and claims hops through; [`outgoing`] holds hops seen from their source alone
//! until their destination's record claims them.

pub mod alert;
pub mod arrival;
pub mod attack;
pub mod budget;
pub mod chain;
pub(crate) mod detector;
pub mod explain;
pub mod history;
pub mod lead;
pub mod outgoing;
mod pairs;
pub(crate) mod prefetch;
pub mod probe;
pub mod rule;
pub mod score;
pub mod stream;
pub mod switch;
