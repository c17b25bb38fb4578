//! Every random number in a trial comes from one `seed`, split by purpose.
//!
//! Each purpose (initial weights, shuffling, ...) gets its own ChaCha8 stream of the same
//! seed, so adding draws for one purpose never shifts another, and the same seed gives the
//! same initial weights and batch order on every backend and thread count (all of it is
//! drawn on the host).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a random stream is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Initial parameters.
    Init = 1,
    /// Per-epoch shuffle of the training rows.
    Shuffle = 2,
    /// Data splitting (validation holdout) — keyed by the split seed, not the training seed.
    Split = 3,
    /// Subsampling of data (e.g. `--quick`).
    Subsample = 4,
}

/// The random stream for `purpose` under `seed`.
pub fn rng_for(seed: u64, purpose: Purpose) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(purpose as u64);
    rng
}

/// Fisher–Yates shuffle of `0..n`'s current order in `perm`, driven by `rng`.
pub fn shuffle<R: rand::Rng>(perm: &mut [u32], rng: &mut R) {
    for i in (1..perm.len()).rev() {
        let j = rng.random_range(0..=i);
        perm.swap(i, j);
    }
}
