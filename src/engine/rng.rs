//! Seeded randomness: one seed per run, one generator per host, forked by the host's name.
//!
//! Forking by label (not by creation order) means adding a host to a scenario does not change
//! what the other hosts draw.

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

/// The generator every random choice in the simulation comes from.
pub type SimRng = ChaCha8Rng;

/// A stable 64-bit hash (FNV-1a): the same on every platform and every Rust release.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The generator for `label` in a run seeded with `seed`.
pub fn fork(seed: u64, label: &str) -> SimRng {
    let mut key = [0u8; 32];
    let a = stable_hash(label.as_bytes());
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&a.to_le_bytes());
    let mix = stable_hash(&key[..16]);
    key[16..24].copy_from_slice(&mix.to_le_bytes());
    key[24..].copy_from_slice(b"mailsim1");
    SimRng::from_seed(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn forks_are_stable_and_independent() {
        let mut a1 = fork(7, "alice-pc");
        let mut a2 = fork(7, "alice-pc");
        let mut b = fork(7, "bob-pc");
        let x: u64 = a1.random();
        assert_eq!(x, a2.random::<u64>());
        assert_ne!(x, b.random::<u64>());
        assert_ne!(x, fork(8, "alice-pc").random::<u64>());
    }
}
