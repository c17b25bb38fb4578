//! TEMPORARY placeholder until the calibrated generator lands (helper is writing it).
use super::dataset::Dataset;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
/// Default rows.
pub const DEFAULT_ROWS: usize = 986_812;
/// Default seed.
pub const DEFAULT_SEED: u64 = 1;
/// Placeholder generator.
pub fn generate(rows: usize, seed: u64) -> Dataset {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let n = Normal::new(0.0f32, 1.0).unwrap();
    let mut f = Vec::with_capacity(rows * 16);
    let mut l = Vec::with_capacity(rows);
    for i in 0..rows {
        let c = (i % 5) as u8;
        for j in 0..16 {
            f.push(n.sample(&mut rng) + if j % 5 == c as usize { 1.0 } else { 0.0 });
        }
        l.push(c);
    }
    Dataset::jsc(f, l)
}
