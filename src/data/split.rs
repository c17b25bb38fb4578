//! scikit-learn's `train_test_split(test_size=0.2, random_state=42)`, reproduced exactly.
//!
//! MASE splits JSC with scikit-learn, which draws `numpy.random.RandomState(seed)
//! .permutation(n)`: MT19937 seeded with `init_genrand(seed)`, then a Fisher–Yates shuffle
//! whose bounded draws mask 32-bit outputs and reject values above the bound (numpy's legacy
//! `random_interval`). The first `ceil(0.2·n)` indices of the permutation are the test set
//! and the rest, in permutation order, the training set. Reproducing it means a MASE user's
//! test rows and ours are the same rows.

/// numpy's legacy MT19937 (`RandomState`).
pub struct Mt19937 {
    state: [u32; 624],
    pos: usize,
}

impl Mt19937 {
    /// `init_genrand(seed)`, as `RandomState(seed)` does for an integer seed.
    pub fn new(seed: u32) -> Self {
        let mut state = [0u32; 624];
        state[0] = seed;
        for i in 1..624 {
            let prev = state[i - 1];
            state[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        Mt19937 { state, pos: 624 }
    }

    fn twist(&mut self) {
        const UPPER: u32 = 0x8000_0000;
        const LOWER: u32 = 0x7fff_ffff;
        for i in 0..624 {
            let y = (self.state[i] & UPPER) | (self.state[(i + 1) % 624] & LOWER);
            let mut v = self.state[(i + 397) % 624] ^ (y >> 1);
            if y & 1 != 0 {
                v ^= 0x9908_b0df;
            }
            self.state[i] = v;
        }
        self.pos = 0;
    }

    /// The next 32-bit output.
    pub fn next_u32(&mut self) -> u32 {
        if self.pos >= 624 {
            self.twist();
        }
        let mut y = self.state[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// numpy's legacy `random_interval(max)`: uniform in `0..=max` by masked rejection.
    fn interval(&mut self, max: u32) -> u32 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        for shift in [1, 2, 4, 8, 16] {
            mask |= mask >> shift;
        }
        loop {
            let v = self.next_u32() & mask;
            if v <= max {
                return v;
            }
        }
    }

    /// `RandomState(seed).permutation(n)`.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = self.interval(i as u32) as usize;
            p.swap(i, j);
        }
        p
    }
}

/// Test rows of `train_test_split` of `n` rows: scikit-learn's `ceil(test_size · n)` (at most
/// `n`).
pub fn test_len(n: usize, test_size: f64) -> usize {
    ((test_size * n as f64).ceil() as usize).min(n)
}

/// Row indices `(train, test)` of `train_test_split(range(n), test_size, random_state=seed)`.
pub fn train_test_split(n: usize, test_size: f64, seed: u32) -> (Vec<usize>, Vec<usize>) {
    let mut perm = Mt19937::new(seed).permutation(n);
    let train = perm.split_off(test_len(n, test_size));
    (train, perm)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The MT19937 reference implementation (Matsumoto & Nishimura, `init_genrand(5489)`,
    /// also C++ `std::mt19937`'s default seed) starts 3499211612, 581869302.
    #[test]
    fn mt19937_reference_vector() {
        let mut mt = Mt19937::new(5489);
        assert_eq!(mt.next_u32(), 3_499_211_612);
        assert_eq!(mt.next_u32(), 581_869_302);
    }

    /// `np.random.RandomState(42).permutation(10)` → `[8 1 5 0 7 2 9 4 3 6]` (numpy 2.4.6).
    #[test]
    fn permutation_matches_numpy() {
        assert_eq!(
            Mt19937::new(42).permutation(10),
            vec![8, 1, 5, 0, 7, 2, 9, 4, 3, 6]
        );
        // `np.random.RandomState(42).permutation(1000)[:8]` → [521 737 740 660 411 678 626 513]
        assert_eq!(
            Mt19937::new(42).permutation(1000)[..8],
            [521, 737, 740, 660, 411, 678, 626, 513]
        );
        // `np.random.RandomState(7).permutation(100000)[-5:]` → [53459 10742 49689 58564 61615]
        assert_eq!(
            Mt19937::new(7).permutation(100_000)[100_000 - 5..],
            [53459, 10742, 49689, 58564, 61615]
        );
    }

    /// scikit-learn 1.9.1: `train_test_split(np.arange(23), test_size=0.2, random_state=42)`.
    #[test]
    fn split_matches_scikit_learn() {
        let (train, test) = train_test_split(23, 0.2, 42);
        assert_eq!(test, vec![15, 9, 0, 8, 17]);
        assert_eq!(
            train,
            vec![
                12, 1, 13, 5, 2, 11, 20, 3, 4, 18, 16, 21, 22, 7, 10, 14, 19, 6
            ]
        );
    }
}
