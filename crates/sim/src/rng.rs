//! Deterministic randomness. Every stream (a person's day, a host's scanner noise, an
//! intrusion) gets its own ChaCha generator seeded from the run seed and the stream's
//! identity, so output never depends on thread count or scheduling.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The generator used everywhere.
pub type Rng = ChaCha8Rng;

/// SplitMix64 finaliser: a cheap, well-mixed 64-bit hash step.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Streams, so that two purposes never share a seed.
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub enum Stream {
    Fleet = 1,
    People = 2,
    Actor = 3,
    Scanner = 4,
    Intrusion = 5,
    Clients = 6,
    Ids = 7,
    /// World routines: their rates, hosts and per-day decisions.
    World = 8,
    /// The Hopper attacker's plans.
    Hopper = 9,
}

/// A generator for `(seed, stream, a, b)`.
pub fn rng(seed: u64, stream: Stream, a: u64, b: u64) -> Rng {
    Rng::seed_from_u64(key(seed, stream, a, b))
}

/// The 64-bit key of `(seed, stream, a, b)`, for derived ids (logon ids, ports, pids).
pub fn key(seed: u64, stream: Stream, a: u64, b: u64) -> u64 {
    mix(mix(mix(seed ^ ((stream as u64) << 56)) ^ a) ^ b.wrapping_mul(0x2545_f491_4f6c_dd1d))
}
