//! The training parameters a study file may set or sweep, checked value by value; every error
//! names its key path (`sweep.lr.vary.lr[1]: learning rate must be > 0, got -1`).

use crate::model::ModelSpec;
use crate::train::TrainConfig;
use crate::{Error, Result};
use toml::Value;

/// The parameters a sweep may `set` or `vary`, in `config_id` order.
pub const PARAMS: [&str; 9] = [
    "batch_size",
    "lr",
    "model",
    "epochs",
    "scheduler",
    "weight_decay",
    "beta1",
    "beta2",
    "eps",
];

pub(super) fn bad(path: &str, msg: impl std::fmt::Display) -> Error {
    Error::Usage(format!("{path}: {msg}"))
}

pub(super) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn as_float(v: &Value, path: &str) -> Result<f64> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Integer(i) => Ok(*i as f64),
        other => Err(bad(
            path,
            format!("expected a number, got {}", other.type_str()),
        )),
    }
}

pub(super) fn as_count(v: &Value, path: &str) -> Result<usize> {
    match v {
        Value::Integer(i) if *i >= 1 => Ok(*i as usize),
        Value::Integer(i) => Err(bad(path, format!("must be at least 1, got {i}"))),
        other => Err(bad(
            path,
            format!("expected an integer, got {}", other.type_str()),
        )),
    }
}

pub(super) fn as_str<'v>(v: &'v Value, path: &str) -> Result<&'v str> {
    v.as_str()
        .ok_or_else(|| bad(path, format!("expected a string, got {}", v.type_str())))
}

/// Sets training parameter `key` of `config` to `value`, checking it; `path` names the key in
/// errors.
pub(super) fn apply(config: &mut TrainConfig, key: &str, value: &Value, path: &str) -> Result<()> {
    match key {
        "model" => {
            let name = as_str(value, path)?;
            ModelSpec::parse(name).map_err(|e| bad(path, e))?;
            config.model = name.to_string();
        }
        "batch_size" => config.batch_size = as_count(value, path)?,
        "epochs" => config.epochs = as_count(value, path)?,
        "lr" => {
            let lr = as_float(value, path)?;
            if !(lr.is_finite() && lr > 0.0) {
                return Err(bad(path, format!("learning rate must be > 0, got {lr}")));
            }
            config.lr = lr;
        }
        "scheduler" => config.scheduler = as_str(value, path)?.parse().map_err(|e| bad(path, e))?,
        "weight_decay" => {
            let wd = as_float(value, path)?;
            if !(wd.is_finite() && wd >= 0.0) {
                return Err(bad(path, format!("must be >= 0, got {wd}")));
            }
            config.adam.weight_decay = wd;
        }
        "beta1" | "beta2" => {
            let b = as_float(value, path)?;
            if !(0.0..1.0).contains(&b) {
                return Err(bad(path, format!("must be in [0, 1), got {b}")));
            }
            if key == "beta1" {
                config.adam.beta1 = b;
            } else {
                config.adam.beta2 = b;
            }
        }
        "eps" => {
            let e = as_float(value, path)?;
            if !(e.is_finite() && e > 0.0) {
                return Err(bad(path, format!("must be > 0, got {e}")));
            }
            config.adam.eps = e;
        }
        other => return Err(bad(path, unknown(other, &PARAMS))),
    }
    Ok(())
}

/// The value of parameter `key` (one of [`PARAMS`]) in `config`, written as in `config_id`
/// (`256`, `1e-3`, `jsc-tiny`, `cosine`); empty for an unknown key.
pub fn value_of(config: &TrainConfig, key: &str) -> String {
    let a = &config.adam;
    match key {
        "batch_size" => config.batch_size.to_string(),
        "lr" => format!("{:e}", config.lr),
        "model" => config.model.clone(),
        "epochs" => config.epochs.to_string(),
        "scheduler" => config.scheduler.to_string(),
        "weight_decay" => format!("{:e}", a.weight_decay),
        "beta1" => format!("{:e}", a.beta1),
        "beta2" => format!("{:e}", a.beta2),
        "eps" => format!("{:e}", a.eps),
        _ => String::new(),
    }
}

pub(super) fn unknown(key: &str, allowed: &[&str]) -> String {
    format!(
        "unknown key '{key}' (expected one of: {})",
        allowed.join(", ")
    )
}
