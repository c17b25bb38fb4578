//! Eight f32 lanes, two ways: AVX2 + FMA registers ([`Avx`], chosen at run time when the CPU
//! has them) and plain arrays ([`Lanes`], everywhere else). Every operation rounds each lane
//! as IEEE 754 prescribes (`fma` once, as `f32::mul_add` does), so a kernel written over [`V`]
//! gives the same bits with either.

/// Eight f32 lanes and the operations the fused kernels use.
pub trait V: Copy {
    /// All lanes `v`.
    fn splat(v: f32) -> Self;
    /// The first eight values of `s`.
    fn load(s: &[f32]) -> Self;
    /// Writes the lanes to the first eight values of `s`.
    fn store(self, s: &mut [f32]);
    /// `self · b + c`, rounded once.
    fn fma(self, b: Self, c: Self) -> Self;
    /// Lane-wise sum.
    fn add(self, b: Self) -> Self;
    /// Lane-wise difference.
    fn sub(self, b: Self) -> Self;
    /// Lane-wise product.
    fn mul(self, b: Self) -> Self;
    /// Lane-wise quotient.
    fn div(self, b: Self) -> Self;
    /// Lane-wise square root.
    fn sqrt(self) -> Self;
    /// `if self > b { self } else { b }` per lane (NaN in `self` gives `b`, NaN in `b` stays).
    fn max_of(self, b: Self) -> Self;
    /// `if self > b { t } else { f }` per lane.
    fn gt_select(self, b: Self, t: Self, f: Self) -> Self;
    /// `if self == b { t } else { f }` per lane.
    fn eq_select(self, b: Self, t: Self, f: Self) -> Self;
    /// `2ⁿ` where `self = n + 1.5·2²³` exactly (the rounding trick of an exponential), for
    /// n in −126..=127: the exponent field built from the low mantissa bits.
    fn pow2_of_rounded(self) -> Self;
    /// The lanes summed in a fixed order: `((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7))`.
    fn sum_lanes(self) -> f32;
}

/// `1.5 · 2²³`: adding it to a value of magnitude below 2²² rounds it to an integer, which
/// then sits in the low mantissa bits.
pub const ROUND: f32 = 12_582_912.0;

/// The portable lanes.
#[derive(Clone, Copy)]
pub struct Lanes([f32; 8]);

impl Lanes {
    #[inline(always)]
    fn map2(self, b: Self, f: impl Fn(f32, f32) -> f32) -> Self {
        Lanes(std::array::from_fn(|l| f(self.0[l], b.0[l])))
    }
}

/// The lane sum's order, shared by both kinds.
#[inline(always)]
fn sum8(a: [f32; 8]) -> f32 {
    ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]))
}

impl V for Lanes {
    #[inline(always)]
    fn splat(v: f32) -> Self {
        Lanes([v; 8])
    }
    #[inline(always)]
    fn load(s: &[f32]) -> Self {
        Lanes(s[..8].try_into().expect("eight values"))
    }
    #[inline(always)]
    fn store(self, s: &mut [f32]) {
        s[..8].copy_from_slice(&self.0);
    }
    #[inline(always)]
    fn fma(self, b: Self, c: Self) -> Self {
        Lanes(std::array::from_fn(|l| self.0[l].mul_add(b.0[l], c.0[l])))
    }
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        self.map2(b, |x, y| x + y)
    }
    #[inline(always)]
    fn sub(self, b: Self) -> Self {
        self.map2(b, |x, y| x - y)
    }
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        self.map2(b, |x, y| x * y)
    }
    #[inline(always)]
    fn div(self, b: Self) -> Self {
        self.map2(b, |x, y| x / y)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        Lanes(self.0.map(f32::sqrt))
    }
    #[inline(always)]
    fn max_of(self, b: Self) -> Self {
        self.map2(b, |x, y| if x > y { x } else { y })
    }
    #[inline(always)]
    fn gt_select(self, b: Self, t: Self, f: Self) -> Self {
        Lanes(std::array::from_fn(|l| {
            if self.0[l] > b.0[l] { t.0[l] } else { f.0[l] }
        }))
    }
    #[inline(always)]
    fn eq_select(self, b: Self, t: Self, f: Self) -> Self {
        Lanes(std::array::from_fn(|l| {
            if self.0[l] == b.0[l] { t.0[l] } else { f.0[l] }
        }))
    }
    #[inline(always)]
    fn pow2_of_rounded(self) -> Self {
        Lanes(self.0.map(|t| {
            let n = t.to_bits().wrapping_sub(ROUND.to_bits());
            f32::from_bits(n.wrapping_add(127) << 23)
        }))
    }
    #[inline(always)]
    fn sum_lanes(self) -> f32 {
        sum8(self.0)
    }
}

#[cfg(target_arch = "x86_64")]
pub use avx::Avx;

#[cfg(target_arch = "x86_64")]
mod avx {
    use super::{ROUND, V, sum8};
    use std::arch::x86_64::*;

    /// Eight lanes in an AVX register. Only made inside functions compiled for AVX2 and FMA
    /// and called after `is_x86_feature_detected!` said the CPU has both; every method is
    /// inlined into them.
    #[derive(Clone, Copy)]
    pub struct Avx(__m256);

    // SAFETY (every `unsafe` block below): the intrinsics need AVX, AVX2 or FMA, which the
    // CPU has whenever an `Avx` exists (see the type's docs); loads and stores check their
    // slice's length first.
    impl V for Avx {
        #[inline(always)]
        fn splat(v: f32) -> Self {
            unsafe { Avx(_mm256_set1_ps(v)) }
        }
        #[inline(always)]
        fn load(s: &[f32]) -> Self {
            assert!(s.len() >= 8);
            unsafe { Avx(_mm256_loadu_ps(s.as_ptr())) }
        }
        #[inline(always)]
        fn store(self, s: &mut [f32]) {
            assert!(s.len() >= 8);
            unsafe { _mm256_storeu_ps(s.as_mut_ptr(), self.0) }
        }
        #[inline(always)]
        fn fma(self, b: Self, c: Self) -> Self {
            unsafe { Avx(_mm256_fmadd_ps(self.0, b.0, c.0)) }
        }
        #[inline(always)]
        fn add(self, b: Self) -> Self {
            unsafe { Avx(_mm256_add_ps(self.0, b.0)) }
        }
        #[inline(always)]
        fn sub(self, b: Self) -> Self {
            unsafe { Avx(_mm256_sub_ps(self.0, b.0)) }
        }
        #[inline(always)]
        fn mul(self, b: Self) -> Self {
            unsafe { Avx(_mm256_mul_ps(self.0, b.0)) }
        }
        #[inline(always)]
        fn div(self, b: Self) -> Self {
            unsafe { Avx(_mm256_div_ps(self.0, b.0)) }
        }
        #[inline(always)]
        fn sqrt(self) -> Self {
            unsafe { Avx(_mm256_sqrt_ps(self.0)) }
        }
        #[inline(always)]
        fn max_of(self, b: Self) -> Self {
            // maxps(a, b) = a > b ? a : b, NaN included.
            unsafe { Avx(_mm256_max_ps(self.0, b.0)) }
        }
        #[inline(always)]
        fn gt_select(self, b: Self, t: Self, f: Self) -> Self {
            unsafe {
                let mask = _mm256_cmp_ps::<_CMP_GT_OQ>(self.0, b.0);
                Avx(_mm256_blendv_ps(f.0, t.0, mask))
            }
        }
        #[inline(always)]
        fn eq_select(self, b: Self, t: Self, f: Self) -> Self {
            unsafe {
                let mask = _mm256_cmp_ps::<_CMP_EQ_OQ>(self.0, b.0);
                Avx(_mm256_blendv_ps(f.0, t.0, mask))
            }
        }
        #[inline(always)]
        fn pow2_of_rounded(self) -> Self {
            unsafe {
                let bits = _mm256_castps_si256(self.0);
                let n = _mm256_sub_epi32(bits, _mm256_set1_epi32(ROUND.to_bits() as i32));
                let e = _mm256_slli_epi32::<23>(_mm256_add_epi32(n, _mm256_set1_epi32(127)));
                Avx(_mm256_castsi256_ps(e))
            }
        }
        #[inline(always)]
        fn sum_lanes(self) -> f32 {
            let mut a = [0f32; 8];
            self.store(&mut a);
            sum8(a)
        }
    }
}
