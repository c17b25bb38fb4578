//! The training parameters a study file may set or sweep — one table, [`PARAMS`], says for
//! each its key, type, valid range, field of [`TrainConfig`] and how a config id prints it.
//! Study files ([`apply`]), reports ([`value_of`]), config ids
//! ([`config_id`](crate::study::plan::config_id)) and [`TrainConfig::validate`] all read it.
//!
//! Study-file errors name their key path (`sweep.lr.vary.lr[1]: learning rate must be > 0,
//! got -1`); `validate` names the parameter (`batch size must be at least 1, got 0`).

use super::TrainConfig;
use crate::model::ModelSpec;
use crate::{Error, Result};
use std::fmt::Display;
use toml::Value;

/// One parameter: every fact about it, in one place.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Its key in study files (`batch_size`).
    pub name: &'static str,
    /// Its name in [`TrainConfig::validate`] errors (`batch size`).
    pub label: &'static str,
    /// Its name in a config id (`bs`).
    pub id_name: &'static str,
    /// When a config id shows it.
    pub in_id: InId,
    /// Its type, valid values and field.
    pub kind: Kind,
    /// Whether study-file errors repeat [`label`](Param::label) after the key path (only `lr`:
    /// `defaults.lr: learning rate must be > 0, got -1`; the others read
    /// `defaults.eps: must be > 0, got 0`). Kept so that study-file messages do not change.
    pub file_errors_name_it: bool,
}

/// When a config id shows a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InId {
    /// Always (`bs=128`).
    Always,
    /// Only when it differs from [`TrainConfig::default`] (`sched=constant`).
    UnlessDefault,
}

/// A parameter's type, valid values and place in [`TrainConfig`].
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A whole number, at least 1; written in decimal (`256`).
    Count {
        /// Reads the field.
        get: fn(&TrainConfig) -> usize,
        /// Writes the field.
        set: fn(&mut TrainConfig, usize),
    },
    /// A real number in `range`; written in the shortest round-trip exponent form (`1e-3`,
    /// `3e-4`, `1.5e-2`), so stable.
    Real {
        /// The valid values.
        range: Range,
        /// Reads the field.
        get: fn(&TrainConfig) -> f64,
        /// Writes the field.
        set: fn(&mut TrainConfig, f64),
    },
    /// A name, valid when `set` accepts it (`jsc-tiny`, `cosine`); written as it is.
    Name {
        /// Reads the field as its name.
        get: fn(&TrainConfig) -> String,
        /// Parses the name into the field, or says why it is not valid.
        set: fn(&mut TrainConfig, &str) -> Result<()>,
    },
}

/// The valid values of a [`Kind::Real`] parameter (NaN is never valid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// Finite and > 0.
    Positive,
    /// Finite and >= 0.
    NonNegative,
    /// In `[0, 1)`.
    UnitInterval,
}

impl Range {
    /// Whether `v` is valid.
    pub fn contains(self, v: f64) -> bool {
        match self {
            Range::Positive => v.is_finite() && v > 0.0,
            Range::NonNegative => v.is_finite() && v >= 0.0,
            Range::UnitInterval => (0.0..1.0).contains(&v),
        }
    }

    /// The rule, as error messages state it (`must be > 0`).
    pub fn rule(self) -> &'static str {
        match self {
            Range::Positive => "must be > 0",
            Range::NonNegative => "must be >= 0",
            Range::UnitInterval => "must be in [0, 1)",
        }
    }
}

/// The rule of [`Kind::Count`] parameters (and of a study's `seeds`).
const AT_LEAST_ONE: &str = "must be at least 1";

/// The parameters a sweep may `set` or `vary`, in `config_id` order.
pub const PARAMS: &[Param] = &[
    Param {
        name: "batch_size",
        label: "batch size",
        id_name: "bs",
        in_id: InId::Always,
        kind: Kind::Count {
            get: |c| c.batch_size,
            set: |c, v| c.batch_size = v,
        },
        file_errors_name_it: false,
    },
    Param {
        name: "lr",
        label: "learning rate",
        id_name: "lr",
        in_id: InId::Always,
        kind: Kind::Real {
            range: Range::Positive,
            get: |c| c.lr,
            set: |c, v| c.lr = v,
        },
        file_errors_name_it: true,
    },
    Param {
        name: "model",
        label: "model",
        id_name: "model",
        in_id: InId::Always,
        kind: Kind::Name {
            get: |c| c.model.clone(),
            set: |c, name| {
                ModelSpec::parse(name)?;
                c.model = name.to_string();
                Ok(())
            },
        },
        file_errors_name_it: false,
    },
    Param {
        name: "epochs",
        label: "epochs",
        id_name: "epochs",
        in_id: InId::Always,
        kind: Kind::Count {
            get: |c| c.epochs,
            set: |c, v| c.epochs = v,
        },
        file_errors_name_it: false,
    },
    Param {
        name: "scheduler",
        label: "scheduler",
        id_name: "sched",
        in_id: InId::UnlessDefault,
        kind: Kind::Name {
            get: |c| c.scheduler.to_string(),
            set: |c, name| {
                c.scheduler = name.parse()?;
                Ok(())
            },
        },
        file_errors_name_it: false,
    },
    Param {
        name: "weight_decay",
        label: "weight decay",
        id_name: "wd",
        in_id: InId::UnlessDefault,
        kind: Kind::Real {
            range: Range::NonNegative,
            get: |c| c.adam.weight_decay,
            set: |c, v| c.adam.weight_decay = v,
        },
        file_errors_name_it: false,
    },
    Param {
        name: "beta1",
        label: "beta1",
        id_name: "beta1",
        in_id: InId::UnlessDefault,
        kind: Kind::Real {
            range: Range::UnitInterval,
            get: |c| c.adam.beta1,
            set: |c, v| c.adam.beta1 = v,
        },
        file_errors_name_it: false,
    },
    Param {
        name: "beta2",
        label: "beta2",
        id_name: "beta2",
        in_id: InId::UnlessDefault,
        kind: Kind::Real {
            range: Range::UnitInterval,
            get: |c| c.adam.beta2,
            set: |c, v| c.adam.beta2 = v,
        },
        file_errors_name_it: false,
    },
    Param {
        name: "eps",
        label: "eps",
        id_name: "eps",
        in_id: InId::UnlessDefault,
        kind: Kind::Real {
            range: Range::Positive,
            get: |c| c.adam.eps,
            set: |c, v| c.adam.eps = v,
        },
        file_errors_name_it: false,
    },
    Param {
        name: "engine",
        label: "engine",
        id_name: "engine",
        in_id: InId::UnlessDefault,
        kind: Kind::Name {
            get: |c| c.engine.to_string(),
            set: |c, name| {
                c.engine = name.parse()?;
                Ok(())
            },
        },
        file_errors_name_it: false,
    },
];

/// The parameter whose study-file key is `name`.
pub fn find(name: &str) -> Option<&'static Param> {
    PARAMS.iter().find(|p| p.name == name)
}

/// The study-file keys of [`PARAMS`], in order.
pub fn names() -> Vec<&'static str> {
    PARAMS.iter().map(|p| p.name).collect()
}

impl Param {
    /// Sets this parameter of `config` to a study-file `value`, checking it; `path` names
    /// the key in errors.
    pub fn apply(&self, config: &mut TrainConfig, value: &Value, path: &str) -> Result<()> {
        match self.kind {
            Kind::Count { set, .. } => set(config, as_count(value, path)?),
            Kind::Real { range, set, .. } => {
                let v = as_float(value, path)?;
                if !range.contains(v) {
                    let msg = format!("{}, got {v}", range.rule());
                    let msg = if self.file_errors_name_it {
                        format!("{} {msg}", self.label)
                    } else {
                        msg
                    };
                    return Err(bad(path, msg));
                }
                set(config, v)
            }
            Kind::Name { set, .. } => {
                set(config, as_str(value, path)?).map_err(|e| bad(path, e))?
            }
        }
        Ok(())
    }

    /// Checks this parameter's value in `config` (for [`TrainConfig::validate`]):
    /// `learning rate must be > 0, got 0`, or the name's own error (`unknown model …`).
    pub fn check(&self, config: &TrainConfig) -> Result<()> {
        let invalid = |rule: &str, v: &dyn Display| {
            Err(Error::Usage(format!("{} {rule}, got {v}", self.label)))
        };
        match self.kind {
            Kind::Count { get, .. } if get(config) == 0 => invalid(AT_LEAST_ONE, &0),
            Kind::Real { range, get, .. } if !range.contains(get(config)) => {
                invalid(range.rule(), &get(config))
            }
            Kind::Name { get, set } => set(&mut config.clone(), &get(config)),
            _ => Ok(()),
        }
    }

    /// This parameter's value in `config` as a config id writes it (`256`, `1e-3`,
    /// `jsc-tiny`, `cosine`).
    pub fn text(&self, config: &TrainConfig) -> String {
        match self.kind {
            Kind::Count { get, .. } => get(config).to_string(),
            Kind::Real { get, .. } => format!("{:e}", get(config)),
            Kind::Name { get, .. } => get(config),
        }
    }

    /// Whether `a` and `b` have equal values of this parameter (numerically for reals:
    /// `-0.0` equals `0.0`).
    pub fn same(&self, a: &TrainConfig, b: &TrainConfig) -> bool {
        match self.kind {
            Kind::Count { get, .. } => get(a) == get(b),
            Kind::Real { get, .. } => get(a) == get(b),
            Kind::Name { get, .. } => get(a) == get(b),
        }
    }
}

pub(crate) fn bad(path: &str, msg: impl Display) -> Error {
    Error::Usage(format!("{path}: {msg}"))
}

pub(crate) fn join(prefix: &str, key: &str) -> String {
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

pub(crate) fn as_count(v: &Value, path: &str) -> Result<usize> {
    match v {
        Value::Integer(i) if *i >= 1 => Ok(*i as usize),
        Value::Integer(i) => Err(bad(path, format!("{AT_LEAST_ONE}, got {i}"))),
        other => Err(bad(
            path,
            format!("expected an integer, got {}", other.type_str()),
        )),
    }
}

pub(crate) fn as_str<'v>(v: &'v Value, path: &str) -> Result<&'v str> {
    v.as_str()
        .ok_or_else(|| bad(path, format!("expected a string, got {}", v.type_str())))
}

/// Sets training parameter `key` of `config` to `value`, checking it; `path` names the key in
/// errors.
pub(crate) fn apply(config: &mut TrainConfig, key: &str, value: &Value, path: &str) -> Result<()> {
    match find(key) {
        Some(param) => param.apply(config, value, path),
        None => Err(bad(path, unknown(key, &names()))),
    }
}

/// The value of parameter `key` (one of [`PARAMS`]) in `config`, written as in `config_id`
/// (`256`, `1e-3`, `jsc-tiny`, `cosine`); empty for an unknown key.
pub fn value_of(config: &TrainConfig, key: &str) -> String {
    find(key).map_or_else(String::new, |p| p.text(config))
}

pub(crate) fn unknown(key: &str, allowed: &[&str]) -> String {
    format!(
        "unknown key '{key}' (expected one of: {})",
        allowed.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// A valid, non-default study-file value of every parameter.
    fn sample(name: &str) -> Value {
        match name {
            "batch_size" => Value::Integer(7),
            "epochs" => Value::Integer(3),
            "model" => Value::String("jsc-toy".into()),
            "scheduler" => Value::String("constant".into()),
            "engine" => Value::String("fused".into()),
            _ => Value::Float(0.5),
        }
    }

    #[test]
    fn each_parameter_sets_reads_back_and_prints_only_its_own_field() {
        let names: HashSet<_> = PARAMS.iter().map(|p| p.name).collect();
        let id_names: HashSet<_> = PARAMS.iter().map(|p| p.id_name).collect();
        assert_eq!((names.len(), id_names.len()), (PARAMS.len(), PARAMS.len()));
        let d = TrainConfig::default();
        for p in PARAMS {
            // The default's own text reads back to the default.
            let text = p.text(&d);
            let back = match p.kind {
                Kind::Count { .. } => Value::Integer(text.parse().unwrap()),
                Kind::Real { .. } => Value::Float(text.parse().unwrap()),
                Kind::Name { .. } => Value::String(text.clone()),
            };
            let mut c = d.clone();
            p.apply(&mut c, &back, "k").unwrap();
            assert_eq!(c, d, "{}", p.name);

            // A new value changes this parameter and no other, and shows in the id.
            apply(&mut c, p.name, &sample(p.name), "k").unwrap();
            for q in PARAMS {
                assert_eq!(
                    q.same(&c, &d),
                    q.name != p.name,
                    "{} set, {} read",
                    p.name,
                    q.name
                );
            }
            let shown = format!("{}={}", p.id_name, value_of(&c, p.name));
            assert!(
                crate::study::plan::config_id(&c).contains(&shown),
                "{shown}"
            );
            assert!(c.validate().is_ok());
        }
        assert_eq!(value_of(&d, "lr"), "1e-5");
        assert_eq!(value_of(&d, "nope"), "");
    }

    /// Study files and `validate` accept exactly the same numbers (names are checked by
    /// parsing them, in both).
    #[test]
    fn study_files_and_validate_share_every_range() {
        let reals = [
            -1.0,
            -0.0,
            0.0,
            1e-300,
            0.5,
            0.999,
            1.0,
            2.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let d = TrainConfig::default();
        for p in PARAMS {
            // (study-file value, the same value written straight into a config)
            let cases: Vec<(Value, TrainConfig)> = match p.kind {
                Kind::Count { set, .. } => (0..3)
                    .map(|n| {
                        let mut c = d.clone();
                        set(&mut c, n);
                        (Value::Integer(n as i64), c)
                    })
                    .collect(),
                Kind::Real { set, .. } => reals
                    .iter()
                    .map(|&v| {
                        let mut c = d.clone();
                        set(&mut c, v);
                        (Value::Float(v), c)
                    })
                    .collect(),
                Kind::Name { .. } => continue,
            };
            for (value, config) in cases {
                let from_file = p.apply(&mut d.clone(), &value, "k").is_ok();
                // `validate` adds one rule across parameters (batch size 1 with BatchNorm),
                // which a plan applies per configuration; the ranges are the table's.
                assert_eq!(p.check(&config).is_ok(), from_file, "{} = {value}", p.name);
            }
        }
    }

    #[test]
    fn messages_state_each_rule_once() {
        let validate = |f: &dyn Fn(&mut TrainConfig)| {
            let mut c = TrainConfig::default();
            f(&mut c);
            c.validate().unwrap_err().to_string()
        };
        assert_eq!(
            validate(&|c| c.batch_size = 0),
            "batch size must be at least 1, got 0"
        );
        assert_eq!(
            validate(&|c| c.lr = 0.0),
            "learning rate must be > 0, got 0"
        );
        assert_eq!(
            validate(&|c| c.epochs = 0),
            "epochs must be at least 1, got 0"
        );
        assert_eq!(
            validate(&|c| c.adam.weight_decay = -1.0),
            "weight decay must be >= 0, got -1"
        );
        assert_eq!(
            validate(&|c| c.adam.beta2 = 1.0),
            "beta2 must be in [0, 1), got 1"
        );
        assert_eq!(
            validate(&|c| c.adam.eps = f64::INFINITY),
            "eps must be > 0, got inf"
        );
        assert!(validate(&|c| c.model = "jsc-huge".into()).contains("unknown model"));

        let file = |key: &str, v: Value| {
            apply(&mut TrainConfig::default(), key, &v, "p")
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            file("lr", Value::Float(-1.0)),
            "p: learning rate must be > 0, got -1"
        );
        assert_eq!(
            file("weight_decay", Value::Float(-1.0)),
            "p: must be >= 0, got -1"
        );
        assert_eq!(
            file("beta1", Value::Integer(1)),
            "p: must be in [0, 1), got 1"
        );
        assert_eq!(
            file("eps", Value::Float(f64::INFINITY)),
            "p: must be > 0, got inf"
        );
        assert_eq!(
            file("epochs", Value::Integer(0)),
            "p: must be at least 1, got 0"
        );
        assert_eq!(
            file("lr", Value::String("x".into())),
            "p: expected a number, got string"
        );
        assert!(file("scheduler", Value::String("x".into())).starts_with("p: unknown scheduler"));
        assert!(file("bogus", Value::Integer(1)).starts_with("p: unknown key 'bogus'"));
    }
}
