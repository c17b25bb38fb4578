//! How many seeds a configuration trains: `N` (seeds `0..N`), or `MIN..MAX` for adaptive
//! seeds (a pilot of MIN, then up to MAX where the pilot's spread needs them). One parser
//! for the study file's `seeds` and `trainbench run --seeds`.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// `MIN..MAX` seeds per configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedRange {
    /// Seeds of the pilot (stage 1).
    pub min: usize,
    /// Most seeds any configuration gets.
    pub max: usize,
}

impl std::str::FromStr for SeedRange {
    type Err = Error;

    /// `"3..12"`: at least 2 pilot seeds (an SD needs two), MIN < MAX.
    fn from_str(s: &str) -> Result<SeedRange> {
        let bad = || {
            Error::Usage(format!(
                "seeds '{s}': expected N or MIN..MAX with 2 ≤ MIN < MAX (e.g. 3..12)"
            ))
        };
        let (a, b) = s.split_once("..").ok_or_else(bad)?;
        let min: usize = a.trim().parse().map_err(|_| bad())?;
        let max: usize = b.trim().parse().map_err(|_| bad())?;
        if min < 2 || max <= min {
            return Err(bad());
        }
        Ok(SeedRange { min, max })
    }
}

impl std::fmt::Display for SeedRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}..{}", self.min, self.max)
    }
}

/// A seed count as given: `N`, or an adaptive `MIN..MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seeds {
    /// Seeds `0..N` for every configuration.
    Count(usize),
    /// Adaptive seeds.
    Range(SeedRange),
}

impl Seeds {
    /// The most seeds a configuration trains: N, or the MAX of a range.
    pub fn max(self) -> usize {
        match self {
            Seeds::Count(n) => n,
            Seeds::Range(r) => r.max,
        }
    }

    /// The adaptive range, if this is one.
    pub fn range(self) -> Option<SeedRange> {
        match self {
            Seeds::Count(_) => None,
            Seeds::Range(r) => Some(r),
        }
    }
}

impl std::fmt::Display for Seeds {
    /// As parsed: `10` or `3..12`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Seeds::Count(n) => write!(f, "{n}"),
            Seeds::Range(r) => write!(f, "{r}"),
        }
    }
}

impl std::str::FromStr for Seeds {
    type Err = Error;

    /// `"10"` or `"3..12"`.
    fn from_str(s: &str) -> Result<Seeds> {
        if s.contains("..") {
            return s.parse().map(Seeds::Range);
        }
        s.trim()
            .parse::<usize>()
            .map(Seeds::Count)
            .map_err(|_| Error::Usage(format!("seeds '{s}': expected N or MIN..MAX (e.g. 3..12)")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_ranges_parse_and_bad_ones_say_what_is_expected() {
        assert_eq!("10".parse::<Seeds>().unwrap(), Seeds::Count(10));
        let r = "3..12".parse::<Seeds>().unwrap();
        assert_eq!(r.range(), Some(SeedRange { min: 3, max: 12 }));
        assert_eq!((r.max(), Seeds::Count(4).max()), (12, 4));
        assert_eq!(r.range().unwrap().to_string(), "3..12");
        for bad in ["x", "1..5", "5..5", "3..", "-1"] {
            let e = bad.parse::<Seeds>().unwrap_err().to_string();
            assert!(e.contains("expected N or MIN..MAX"), "{bad}: {e}");
        }
    }
}
