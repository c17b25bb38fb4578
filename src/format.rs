//! How numbers are written for people: durations, counts, seed lists, p-values, percentages
//! and confidence intervals. Every table, report and message formats through here, so a value
//! reads the same everywhere and a missing one is always [`MISSING`].

use crate::stats::Summary;

/// The one spelling of a missing or undefined value (no data, NaN, a test that could not be
/// computed).
pub const MISSING: &str = "—";

/// A count with thousands separators: `5615` → `5,615`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `seconds` as a short human duration: `5.2s`, `42s`, `3m05s`, `2h07m`.
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() {
        return MISSING.into();
    }
    if seconds < 9.95 {
        return format!("{:.1}s", seconds.max(0.0));
    }
    let s = seconds.round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// `0.2017` → `201.7 ms`: a time in seconds with four significant digits in s, ms, µs or ns.
pub fn seconds_si(s: f64) -> String {
    let (v, unit) = match s.abs() {
        x if !x.is_finite() => return MISSING.into(),
        x if x >= 1.0 => (s, "s"),
        x if x >= 1e-3 => (s * 1e3, "ms"),
        x if x >= 1e-6 => (s * 1e6, "µs"),
        _ => (s * 1e9, "ns"),
    };
    let decimals = 3usize.saturating_sub(v.abs().log10().floor().max(0.0) as usize);
    format!("{v:.decimals$} {unit}")
}

/// Seeds as compact ranges: `0-9`, `0-2,5,7-8`.
pub fn seed_ranges(seeds: &[u64]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < seeds.len() {
        let mut j = i;
        while j + 1 < seeds.len() && seeds[j + 1] == seeds[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            seeds[i].to_string()
        } else {
            format!("{}-{}", seeds[i], seeds[j])
        });
        i = j + 1;
    }
    parts.join(",")
}

/// A p-value: `0.0312`, `3.1e-6` below 1e-4.
pub fn p_value(p: f64) -> String {
    if !p.is_finite() {
        MISSING.into()
    } else if p < 1e-300 {
        "< 1e-300".into()
    } else if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

/// A fraction as a percentage with two decimals: `0.7123` → `71.23%`.
pub fn pct(fraction: f64) -> String {
    if fraction.is_finite() {
        format!("{:.2}%", 100.0 * fraction)
    } else {
        MISSING.into()
    }
}

/// Accuracy points (already in percent) with two decimals: `71.23%`.
pub fn points(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}%")
    } else {
        MISSING.into()
    }
}

/// A signed difference in accuracy points: `+1.20 pts`.
pub fn signed_points(x: f64) -> String {
    if x.is_finite() {
        format!("{x:+.2} pts")
    } else {
        MISSING.into()
    }
}

/// A minimum detectable effect in accuracy points: `1.40 pts`, `—` when not testable.
pub fn mde_points(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2} pts")
    } else {
        MISSING.into()
    }
}

/// A relative change as a signed percentage: `0.301` → `+30.1%`.
pub fn change(x: f64) -> String {
    if x.is_finite() {
        format!("{:+.1}%", x * 100.0)
    } else {
        MISSING.into()
    }
}

/// A number for an error message, as it is: plain in everyday ranges, else in exponent form
/// (`1e308`, not 309 digits).
pub fn exact(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-4..1e6).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// A confidence level as a percentage with the digits it has: `0.95` → `95%`, `0.975` →
/// `97.5%`, `0.9999999` → `99.99999%` (never rounded up to `100%`).
pub fn level(level: f64) -> String {
    let pct = 100.0 * level;
    let digits = (0..=12)
        .find(|&d| {
            let k = 10f64.powi(d);
            ((pct * k).round() / k - pct).abs() <= 1e-9 * pct.abs().max(1.0)
        })
        .unwrap_or(12) as usize;
    format!("{pct:.digits$}%")
}

/// A plain number with `decimals` decimals.
pub fn num(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        format!("{x:.decimals$}")
    } else {
        MISSING.into()
    }
}

/// A positive quantity spanning decades (a learning rate) with two significant digits in
/// exponent form: `0.00316` → `3.2e-3`.
pub fn sci(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.1e}")
    } else {
        MISSING.into()
    }
}

/// `3.2e-3 [2.1e-3, 4.5e-3]`: a value and its interval, each via [`sci`]; the value alone
/// when the interval is missing.
pub fn sci_ci(x: f64, lo: f64, hi: f64) -> String {
    if lo.is_finite() && hi.is_finite() {
        format!("{} [{}, {}]", sci(x), sci(lo), sci(hi))
    } else {
        sci(x)
    }
}

/// `71.23% [70.91, 71.55]` for an accuracy summary (fractions in, percent out).
pub fn pct_ci(s: &Summary) -> String {
    if s.n == 0 {
        return MISSING.into();
    }
    if s.ci_low.is_finite() {
        format!(
            "{:.2}% [{:.2}, {:.2}]",
            100.0 * s.mean,
            100.0 * s.ci_low,
            100.0 * s.ci_high
        )
    } else {
        format!("{:.2}%", 100.0 * s.mean)
    }
}

/// `0.412 [0.401, 0.420]` for a summary of seconds or epochs (one decimal from 100 up).
pub fn num_ci(s: &Summary) -> String {
    if s.n == 0 {
        return MISSING.into();
    }
    let digits = if s.mean.abs() >= 100.0 { 1 } else { 3 };
    if s.ci_low.is_finite() {
        format!(
            "{:.d$} [{:.d$}, {:.d$}]",
            s.mean,
            s.ci_low,
            s.ci_high,
            d = digits
        )
    } else {
        format!("{:.d$}", s.mean, d = digits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_seeds_and_missing_values() {
        assert_eq!(duration(5.23), "5.2s");
        assert_eq!(duration(42.4), "42s");
        assert_eq!(duration(185.0), "3m05s");
        assert_eq!(duration(7620.0), "2h07m");
        assert_eq!(duration(f64::NAN), MISSING);
        assert_eq!(seconds_si(0.2017), "201.7 ms");
        assert_eq!(seconds_si(12.5), "12.50 s");
        assert_eq!(seed_ranges(&[0, 1, 2, 5, 7, 8]), "0-2,5,7-8");
        assert_eq!(seed_ranges(&[]), "");
        assert_eq!(p_value(0.03123), "0.0312");
        assert_eq!(p_value(3.14e-6), "3.1e-6");
        assert_eq!(pct(0.71234), "71.23%");
        assert_eq!(change(0.301), "+30.1%");
        assert_eq!(level(0.95), "95%");
        assert_eq!(level(0.975), "97.5%");
        assert_eq!(level(0.999), "99.9%");
        assert_eq!(level(0.9999999), "99.99999%");
        assert_eq!(signed_points(-1.2), "-1.20 pts");
        assert_eq!(sci(0.00316), "3.2e-3");
        assert_eq!(sci(0.1), "1.0e-1");
        assert_eq!(sci_ci(3e-3, 2e-3, 4.5e-3), "3.0e-3 [2.0e-3, 4.5e-3]");
        assert_eq!(sci_ci(3e-3, f64::NAN, f64::NAN), "3.0e-3");
        for missing in [
            pct(f64::NAN),
            p_value(f64::NAN),
            change(f64::INFINITY),
            num(f64::NAN, 3),
            points(f64::NAN),
            seconds_si(f64::NAN),
            sci(f64::NAN),
        ] {
            assert_eq!(missing, MISSING);
        }
    }
}
