//! The one style of every figure, shared by the plotters files ([`super::plot`]) and the
//! page's SVG charts ([`super::html::svg`]): the series palette, the heatmap's colour map,
//! and the rule that picks dark or light text on a coloured cell.

/// Okabe–Ito (colour-blind safe), reordered so the low-contrast yellow on white comes last.
pub const PALETTE: [(u8, u8, u8); 8] = [
    (0x00, 0x72, 0xB2),
    (0xE6, 0x9F, 0x00),
    (0x00, 0x9E, 0x73),
    (0xD5, 0x5E, 0x00),
    (0xCC, 0x79, 0xA7),
    (0x56, 0xB4, 0xE9),
    (0x00, 0x00, 0x00),
    (0xF0, 0xE4, 0x42),
];

/// The colour of the `i`-th series (the palette repeats).
pub fn series_colour(i: usize) -> (u8, u8, u8) {
    PALETTE[i % PALETTE.len()]
}

/// viridis sampled at 0, 0.1, …, 1.
const VIRIDIS: [(u8, u8, u8); 11] = [
    (0x44, 0x01, 0x54),
    (0x48, 0x24, 0x75),
    (0x41, 0x44, 0x87),
    (0x35, 0x5F, 0x8D),
    (0x2A, 0x78, 0x8E),
    (0x21, 0x91, 0x8C),
    (0x22, 0xA8, 0x84),
    (0x44, 0xBF, 0x70),
    (0x7A, 0xD1, 0x51),
    (0xBD, 0xDF, 0x26),
    (0xFD, 0xE7, 0x25),
];

/// viridis at `t` in 0..=1 (linear between the samples; a non-finite `t` is 0).
pub fn viridis(t: f64) -> (u8, u8, u8) {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let t = t * (VIRIDIS.len() - 1) as f64;
    let (i, f) = (
        (t.floor() as usize).min(VIRIDIS.len() - 2),
        t - t.floor().min((VIRIDIS.len() - 2) as f64),
    );
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |p: u8, q: u8| (p as f64 + (q as f64 - p as f64) * f).round() as u8;
    (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Whether dark text contrasts more than light text with the background `bg` (WCAG
/// relative luminance above 0.179).
pub fn dark_text_on((r, g, b): (u8, u8, u8)) -> bool {
    let lin = |c: u8| {
        let c = c as f64 / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b) > 0.179
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_runs_from_purple_to_yellow_and_text_contrasts() {
        assert_eq!(viridis(0.0), (0x44, 0x01, 0x54));
        assert_eq!(viridis(1.0), (0xFD, 0xE7, 0x25));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
        assert!(!dark_text_on(viridis(0.0)) && dark_text_on(viridis(1.0)));
        assert_eq!(series_colour(8), PALETTE[0]);
    }
}
