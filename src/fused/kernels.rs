//! The fused engine's loops, written once over eight lanes ([`V`]): the AVX2 build and the
//! portable one run the same operations on the same values in the same order, so they give
//! the same bits. Rows that do not fill a vector are done one at a time by the same formulas
//! (`mul_add` where the vector code fuses).

use super::simd::{ROUND, V};

/// `x[k..k+8]` as lanes.
#[inline(always)]
fn at<T: V>(x: &[f32], k: usize) -> T {
    T::load(&x[k..k + 8])
}

/// The sum of `x`: 16 values a step in two sets of lanes, then the rest one by one.
#[inline(always)]
pub fn sum<T: V>(x: &[f32]) -> f32 {
    let full = x.len() / 16 * 16;
    let (mut a, mut b) = (T::splat(0.0), T::splat(0.0));
    for k in (0..full / 16).map(|b| b * 16) {
        a = a.add(at(x, k));
        b = b.add(at(x, k + 8));
    }
    let mut total = a.add(b).sum_lanes();
    for &v in &x[full..] {
        total += v;
    }
    total
}

/// The dot products of `d` with each of `xs` (all of `d`'s length): one chain of eight lanes
/// per product, `N` chains in flight; each product's operations are the same whatever `N`
/// (so [`dot`] and [`dots`] agree to the bit).
#[inline(always)]
pub fn dots<T: V, const N: usize>(d: &[f32], xs: [&[f32]; N]) -> [f32; N] {
    let n = d.len();
    let full = n / 8 * 8;
    let mut acc = [T::splat(0.0); N];
    for k in (0..full / 8).map(|b| b * 8) {
        let dv = at::<T>(d, k);
        for (a, x) in acc.iter_mut().zip(xs) {
            *a = at::<T>(x, k).fma(dv, *a);
        }
    }
    let mut out = [0f32; N];
    for ((o, a), x) in out.iter_mut().zip(acc).zip(xs) {
        *o = a.sum_lanes();
        for k in full..n {
            *o = x[k].mul_add(d[k], *o);
        }
    }
    out
}

/// The dot product of `a` and `b` (of equal length): [`dots`] with one product.
#[inline(always)]
pub fn dot<T: V>(a: &[f32], b: &[f32]) -> f32 {
    dots::<T, 1>(b, [a])[0]
}

/// The ln 2 split of Cephes' `expf`, and its polynomial.
const LOG2E: f32 = std::f32::consts::LOG2_E;
const C1: f32 = 0.693_359_4;
const C2: f32 = -2.121_944_4e-4;
const P: [f32; 6] = [
    1.987_569_1e-4,
    1.398_199_9e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    1.666_666_5e-1,
    0.5,
];
/// Below this, `exp_neg` returns e^−87.3 (≈ 1e−38, still a normal float).
const EXP_FLOOR: f32 = -87.3;

/// `eˣ` for x ≤ 0 per lane: Cephes' `expf` (range reduction by ln 2, degree-6 polynomial;
/// relative error below 2⁻²² on [−87, 0]). Below −87.3 it gives e^−87.3 (a softmax term that
/// small does not change a sum ≥ 1). NaN stays NaN.
#[inline(always)]
pub fn exp_neg<T: V>(x: T) -> T {
    let x = T::splat(EXP_FLOOR).max_of(x);
    let t = x.fma(T::splat(LOG2E), T::splat(ROUND));
    let n = t.sub(T::splat(ROUND));
    let r = n.fma(T::splat(-C2), n.fma(T::splat(-C1), x));
    let mut p = T::splat(P[0]);
    for &c in &P[1..] {
        p = p.fma(r, T::splat(c));
    }
    let y = p.mul(r).fma(r, r).add(T::splat(1.0));
    y.mul(t.pow2_of_rounded())
}

/// `out[j][k] = Σₘ a[j][m]·x[m][k]` for k in `ks` (`a`: row j's coefficients, read by
/// `coef(j, m)`; `x: [m][rows]`), `B` vectors of rows at a time so that `B` sums are in flight;
/// each value is passed to `finish` (`f(acc)` per lane) and stored. Every value is the same
/// chain of fused multiply-adds in the same order, whatever the block it falls in.
#[inline(always)]
fn products<T: V, const B: usize>(
    coef: impl Fn(usize) -> f32,
    terms: usize,
    x: &[f32],
    rows: usize,
    k: usize,
    out: &mut [f32],
    finish: impl Fn(T) -> T,
) {
    let mut acc = [T::splat(0.0); B];
    for m in 0..terms {
        let c = T::splat(coef(m));
        for (b, a) in acc.iter_mut().enumerate() {
            *a = at::<T>(x, m * rows + k + 8 * b).fma(c, *a);
        }
    }
    for (b, a) in acc.into_iter().enumerate() {
        finish(a).store(&mut out[k + 8 * b..]);
    }
}

/// [`products`] over all `rows` of output row `out`: 32 rows at a time, then 8, then one by
/// one (`finish_one` being `finish` for one value).
#[inline(always)]
fn product_row<T: V>(
    coef: impl Fn(usize) -> f32 + Copy,
    terms: usize,
    x: &[f32],
    rows: usize,
    out: &mut [f32],
    finish: impl Fn(T) -> T + Copy,
    finish_one: impl Fn(f32) -> f32,
) {
    let (by32, by8) = (rows / 32 * 32, rows / 8 * 8);
    for k in (0..by32 / 32).map(|b| b * 32) {
        products::<T, 4>(coef, terms, x, rows, k, out, finish);
    }
    for k in (by32 / 8..by8 / 8).map(|b| b * 8) {
        products::<T, 1>(coef, terms, x, rows, k, out, finish);
    }
    for k in by8..rows {
        let mut acc = 0f32;
        for m in 0..terms {
            acc = x[m * rows + k].mul_add(coef(m), acc);
        }
        out[k] = finish_one(acc);
    }
}

/// `y[o][k] = Σᵢ w[o][i]·x[i][k] + bias[o]` (`x: [inputs][rows]`, `y: [outputs][rows]`),
/// then ReLU when `relu` (as [`bn_apply`] applies it).
#[inline(always)]
pub fn linear_forward<T: V>(
    (w, bias): (&[f32], &[f32]),
    x: &[f32],
    y: &mut [f32],
    (inputs, outputs): (usize, usize),
    (rows, relu): (usize, bool),
) {
    for o in 0..outputs {
        let (b, bv, zero) = (bias[o], T::splat(bias[o]), T::splat(0.0));
        product_row::<T>(
            |i| w[o * inputs + i],
            inputs,
            x,
            rows,
            &mut y[o * rows..(o + 1) * rows],
            |a| {
                if relu {
                    zero.max_of(a.add(bv))
                } else {
                    a.add(bv)
                }
            },
            |a| {
                let v = a + b;
                if relu && 0.0 > v { 0.0 } else { v }
            },
        );
    }
}

/// `dx[i][k] = Σₒ w[o][i]·dy[o][k]`.
#[inline(always)]
pub fn linear_input_grad<T: V>(
    w: &[f32],
    dy: &[f32],
    dx: &mut [f32],
    (inputs, outputs): (usize, usize),
    rows: usize,
) {
    for i in 0..inputs {
        product_row::<T>(
            |o| w[o * inputs + i],
            outputs,
            dy,
            rows,
            &mut dx[i * rows..(i + 1) * rows],
            |a| a,
            |a| a,
        );
    }
}

/// A Linear layer's parameter gradients from `dy: [outputs][rows]` and its input
/// `x: [inputs][rows]`: `dw[o][i] = Σₖ dy[o][k]·x[i][k]`, `db[o] = Σₖ dy[o][k]`.
#[inline(always)]
pub fn linear_param_grad<T: V>(
    dy: &[f32],
    x: &[f32],
    (dw, db): (&mut [f32], &mut [f32]),
    (inputs, outputs): (usize, usize),
    rows: usize,
) {
    let xi = |i: usize| &x[i * rows..(i + 1) * rows];
    for o in 0..outputs {
        let d = &dy[o * rows..(o + 1) * rows];
        db[o] = sum::<T>(d);
        let w = &mut dw[o * inputs..(o + 1) * inputs];
        let by4 = inputs / 4 * 4;
        for i in (0..by4 / 4).map(|b| b * 4) {
            let four = dots::<T, 4>(d, [xi(i), xi(i + 1), xi(i + 2), xi(i + 3)]);
            w[i..i + 4].copy_from_slice(&four);
        }
        for (i, wi) in w.iter_mut().enumerate().skip(by4) {
            *wi = dot::<T>(xi(i), d);
        }
    }
}

/// One feature row of BatchNorm's training pass: writes the centred row `x − mean` and returns
/// the batch mean and biased variance.
#[inline(always)]
pub fn bn_center<T: V>(x: &[f32], centered: &mut [f32]) -> (f32, f32) {
    let n = x.len();
    let mean = sum::<T>(x) / n as f32;
    center::<T>(x, centered, mean);
    let var = dot::<T>(centered, centered) / n as f32;
    (mean, var)
}

/// `centered = x − mean` per value.
#[inline(always)]
pub fn center<T: V>(x: &[f32], centered: &mut [f32], mean: f32) {
    let n = x.len();
    let m = T::splat(mean);
    let full = n / 8 * 8;
    for k in (0..full / 8).map(|b| b * 8) {
        at::<T>(x, k).sub(m).store(&mut centered[k..]);
    }
    for k in full..n {
        centered[k] = x[k] - mean;
    }
}

/// `y = c·scale + shift` per value, then ReLU when `relu` (`if 0 > v { 0 } else { v }`: NaN
/// passes through, so a diverged replica stays visible).
#[inline(always)]
pub fn bn_apply<T: V>(centered: &[f32], y: &mut [f32], scale: f32, shift: f32, relu: bool) {
    let n = centered.len();
    let full = n / 8 * 8;
    let (s, b, zero) = (T::splat(scale), T::splat(shift), T::splat(0.0));
    for k in (0..full / 8).map(|b| b * 8) {
        let v = at::<T>(centered, k).fma(s, b);
        let v = if relu { zero.max_of(v) } else { v };
        v.store(&mut y[k..]);
    }
    for k in full..n {
        let v = centered[k].mul_add(scale, shift);
        y[k] = if relu && 0.0 > v { 0.0 } else { v };
    }
}

/// BatchNorm's input gradient for one feature: `dx = scale·(c·(−k2) + (dy − k1))`.
#[inline(always)]
pub fn bn_input_grad<T: V>(dy: &[f32], c: &[f32], dx: &mut [f32], scale: f32, k1: f32, k2: f32) {
    let n = dy.len();
    let full = n / 8 * 8;
    let (s, a, b) = (T::splat(scale), T::splat(k1), T::splat(-k2));
    for k in (0..full / 8).map(|b| b * 8) {
        let v = at::<T>(c, k).fma(b, at::<T>(dy, k).sub(a));
        v.mul(s).store(&mut dx[k..]);
    }
    for k in full..n {
        dx[k] = c[k].mul_add(-k2, dy[k] - k1) * scale;
    }
}

/// The gradient through a ReLU: `dx = dy` where its output `y` is positive, else 0. (Into
/// another buffer: written in place, the compiler turns the loop into masked stores, which
/// are slow on some CPUs.)
#[inline(always)]
pub fn relu_grad<T: V>(dy: &[f32], y: &[f32], dx: &mut [f32]) {
    let n = y.len();
    let full = n / 8 * 8;
    let zero = T::splat(0.0);
    for k in (0..full / 8).map(|b| b * 8) {
        at::<T>(y, k)
            .gt_select(zero, at(dy, k), zero)
            .store(&mut dx[k..]);
    }
    for k in full..n {
        dx[k] = if y[k] > 0.0 { dy[k] } else { 0.0 };
    }
}

/// The most classes [`cross_entropy`] handles.
pub const MAX_CLASSES: usize = 16;

/// The cross-entropy of feature-major logits `z: [classes][rows]` against `labels`. Returns the
/// sum of the rows' losses and the number of rows whose first maximal logit is the label
/// (`torch.argmax`'s pick; ties are common under a final ReLU). `exps` (`[classes][rows]`)
/// receives the exponentials, or with `want_grad` d(mean loss)/dz = (softmax − one-hot)/rows;
/// `sum_exp` (`rows` values) is scratch. Eight rows at a time; the last rows are padded to
/// eight with zeros and go through the same code.
#[inline(always)]
pub fn cross_entropy<T: V>(
    z: &[f32],
    labels: &[u8],
    classes: usize,
    (exps, want_grad): (&mut [f32], bool),
    sum_exp: &mut [f32],
) -> (f64, u64) {
    assert!(classes <= MAX_CLASSES, "at most {MAX_CLASSES} classes");
    let rows = labels.len();
    let n = rows as f32;
    let (mut z_true, mut correct) = (0f64, 0u64);
    let full = rows / 8 * 8;
    for k in (0..full / 8).map(|b| b * 8) {
        let block = Block {
            z,
            stride: rows,
            k,
            labels: labels[k..k + 8].try_into().expect("eight labels"),
        };
        let (zt, hits, total) = block.run_rows::<T>(classes, n, want_grad, exps, 8);
        z_true += zt;
        correct += hits;
        sum_exp[k..k + 8].copy_from_slice(&total);
    }
    if full < rows {
        let tail = rows - full;
        let mut zp = [0f32; 8 * MAX_CLASSES];
        let mut ep = [0f32; 8 * MAX_CLASSES];
        let mut lp = [0u8; 8];
        for c in 0..classes {
            zp[c * 8..c * 8 + tail].copy_from_slice(&z[c * rows + full..(c + 1) * rows]);
        }
        lp[..tail].copy_from_slice(&labels[full..]);
        let block = Block {
            z: &zp,
            stride: 8,
            k: 0,
            labels: lp,
        };
        let (zt, hits, total) = block.run_rows::<T>(classes, n, want_grad, &mut ep, tail);
        z_true += zt;
        correct += hits;
        sum_exp[full..].copy_from_slice(&total[..tail]);
        for c in 0..classes {
            exps[c * rows + full..(c + 1) * rows].copy_from_slice(&ep[c * 8..c * 8 + tail]);
        }
    }
    // Σ ln Σeᶻ as the logarithm of products (each factor in [1, classes]; 64 factors stay far
    // inside f64's range), less Σ z_true.
    let mut log_sum = 0f64;
    for chunk in sum_exp[..rows].chunks(64) {
        let mut prod = [1f64; 4];
        let mut quads = chunk.chunks_exact(4);
        for q in &mut quads {
            for l in 0..4 {
                prod[l] *= q[l] as f64;
            }
        }
        for (l, &v) in quads.remainder().iter().enumerate() {
            prod[l] *= v as f64;
        }
        log_sum += ((prod[0] * prod[1]) * (prod[2] * prod[3])).ln();
    }
    (log_sum - z_true, correct)
}

/// Eight rows of logits: rows `k..k+8` of `z` (`[classes][stride]`).
struct Block<'a> {
    z: &'a [f32],
    stride: usize,
    k: usize,
    labels: [u8; 8],
}

impl Block<'_> {
    /// The block's maximum, argmax, exponentials (or gradient) into `exps` (laid out like
    /// `z`), and the first `valid` rows' Σ z_true and hits; returns those and the rows' sums
    /// of exponentials.
    #[inline(always)]
    fn run_rows<T: V>(
        &self,
        classes: usize,
        n: f32,
        grad: bool,
        exps: &mut [f32],
        valid: usize,
    ) -> (f64, u64, [f32; 8]) {
        let (s, k) = (self.stride, self.k);
        let zc = |c: usize| at::<T>(self.z, c * s + k);
        let mut max = zc(0);
        let mut arg = T::splat(0.0);
        for c in 1..classes {
            let v = zc(c);
            arg = v.gt_select(max, T::splat(c as f32), arg);
            max = v.max_of(max);
        }
        let mut total = T::splat(0.0);
        for c in 0..classes {
            let e = exp_neg(zc(c).sub(max));
            e.store(&mut exps[c * s + k..]);
            total = total.add(e);
        }
        let (mut m, mut a, mut t) = ([0f32; 8], [0f32; 8], [0f32; 8]);
        max.store(&mut m);
        arg.store(&mut a);
        total.store(&mut t);
        let (mut z_true, mut hits) = (0f64, 0u64);
        for l in 0..valid {
            let label = self.labels[l] as usize;
            z_true += (self.z[label * s + k + l] - m[l]) as f64;
            hits += u64::from(a[l] == label as f32);
        }
        if grad {
            let label: [f32; 8] = self.labels.map(f32::from);
            let label = T::load(&label);
            let (one, zero, rows) = (T::splat(1.0), T::splat(0.0), T::splat(n));
            for c in 0..classes {
                let hot = label.eq_select(T::splat(c as f32), one, zero);
                let e = at::<T>(exps, c * s + k);
                e.div(total)
                    .sub(hot)
                    .div(rows)
                    .store(&mut exps[c * s + k..]);
            }
        }
        (z_true, hits, t)
    }
}

/// Adam's update of one replica's row (PyTorch's Adam: weight decay added to the gradient,
/// eps outside the square root); every slice is a multiple of eight long (rows are padded).
#[inline(always)]
pub fn adam<T: V>(
    (p, m, v): (&mut [f32], &mut [f32], &mut [f32]),
    g: &[f32],
    [b1, b2, ob1, ob2, eps, wd]: [f32; 6],
    (step, bias2_sqrt): (f32, f32),
) {
    let (b1, b2, ob1, ob2) = (T::splat(b1), T::splat(b2), T::splat(ob1), T::splat(ob2));
    let (eps, wdv, step, b2s) = (
        T::splat(eps),
        T::splat(wd),
        T::splat(step),
        T::splat(bias2_sqrt),
    );
    for k in (0..p.len() / 8).map(|b| b * 8) {
        let pk = at::<T>(p, k);
        let gk = if wd == 0.0 {
            at::<T>(g, k)
        } else {
            at::<T>(g, k).add(wdv.mul(pk))
        };
        let mk = b1.mul(at(m, k)).add(ob1.mul(gk));
        let vk = b2.mul(at(v, k)).add(ob2.mul(gk.mul(gk)));
        let denom = eps.add(vk.sqrt().div(b2s));
        pk.sub(step.mul(mk.div(denom))).store(&mut p[k..]);
        mk.store(&mut m[k..]);
        vk.store(&mut v[k..]);
    }
}
