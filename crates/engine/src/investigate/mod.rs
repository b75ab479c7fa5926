//! Investigation over the logins a detection pass collected: [`trace`] walks back from a
//! host and time to where the intrusion began, [`scope`] walks forward to everything within
//! reach, [`audit`] lists hygiene findings and paths from weak hosts to crown jewels.

pub mod audit;
pub mod coverage;
pub mod scope;
pub mod trace;
