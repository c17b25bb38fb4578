//! Serde helpers for `f64` fields that may be NaN or infinite (a diverged trial's loss).
//!
//! JSON has no NaN: serde_json writes non-finite floats as `null`, and cannot read `null`
//! back into an `f64`. Fields marked `#[serde(with = "crate::jsonfloat")]` write `null` for
//! any non-finite value and read `null` back as NaN.

use serde::{Deserialize, Deserializer, Serializer};

/// Writes finite values as numbers and non-finite ones as `null`.
pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.is_finite() {
        serializer.serialize_f64(*value)
    } else {
        serializer.serialize_none()
    }
}

/// Reads a number, or `null` as NaN.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
}
