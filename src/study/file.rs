//! Study files: a TOML description of a hyperparameter study — defaults, seed count and named
//! sweeps — parsed with exact key paths in every error.
//!
//! ```toml
//! name = "lab1"
//! seeds = 10                      # seeds 0..10 (MLPerf's minimum; the default)
//!
//! [defaults]                      # every key optional; MASE `ch train` defaults otherwise
//! model = "jsc-tiny"
//! batch_size = 128
//! lr = 1e-5
//! epochs = 20
//! scheduler = "cosine"            # cosine (to 1e-6) | constant
//! weight_decay = 0.0              # beta1, beta2, eps: Adam, PyTorch defaults
//! data = "synth"                  # synth[:ROWS[:SEED]] or a .csv / .z / .h5 / .hdf5 file
//! val = "holdout"                 # holdout | mase
//! split_seed = 42
//!
//! [[sweep]]
//! name = "epochs"
//! set = { lr = 1e-3 }             # fixed for this sweep (optional)
//! vary = { epochs = [10, 20, 50, 100] }   # one or two parameters; two = Cartesian product
//! ```

use crate::config::params::{PARAMS, apply, as_count, as_str, bad, find, join, names, unknown};
use crate::data::{DataSource, DataSpec, ValMode};
use crate::train::TrainConfig;
use crate::{Error, Result};
use std::path::Path;
use toml::{Table, Value};

/// The default number of seeds per configuration (MLPerf's minimum).
pub const DEFAULT_SEEDS: usize = 10;

/// Keys only `[defaults]` accepts (one data set per study).
const DATA_KEYS: [&str; 3] = ["data", "val", "split_seed"];

/// One named sweep: fixed overrides and one or two varied parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// The sweep's name (unique in the study).
    pub name: String,
    /// The defaults with this sweep's `set` applied.
    pub base: TrainConfig,
    /// The varied parameters (in [`PARAMS`] order) and their values (for a searched learning
    /// rate, stage 1's grid).
    pub vary: Vec<(String, Vec<Value>)>,
    /// `lr = { search = "LO..HI", ... }`: the learning rate is searched
    /// ([`super::lr_search`]).
    pub search: Option<super::lr_search::LrSearch>,
}

impl Sweep {
    /// How many configurations [`Sweep::configs`] lists: the product of the axis lengths
    /// (saturating), known without building them.
    pub fn config_count(&self) -> usize {
        self.vary
            .iter()
            .fold(1usize, |n, (_, values)| n.saturating_mul(values.len()))
    }

    /// Every configuration of the sweep: the Cartesian product of the varied values, first
    /// parameter outermost.
    pub fn configs(&self) -> Vec<TrainConfig> {
        let mut out = vec![self.base.clone()];
        for (key, values) in &self.vary {
            out = out
                .into_iter()
                .flat_map(|c| {
                    values.iter().map(move |v| {
                        let mut c = c.clone();
                        apply(&mut c, key, v, "").expect("validated when parsed");
                        c
                    })
                })
                .collect();
        }
        out
    }
}

/// A parsed, validated study file.
#[derive(Debug, Clone, PartialEq)]
pub struct Study {
    /// The study's name (used for the default output directory `runs/<name>/`).
    pub name: String,
    /// Seeds per configuration (seeds `0..seeds`; the MAX of an adaptive `seeds = "MIN..MAX"`).
    pub seeds: usize,
    /// `seeds = "MIN..MAX"`: adaptive seeds (see [`crate::study::adaptive`]).
    pub seed_range: Option<super::seeds::SeedRange>,
    /// `target_mde = POINTS`: the adaptive target (default
    /// [`crate::study::adaptive::DEFAULT_TARGET_MDE`]).
    pub target_mde: Option<f64>,
    /// The default training configuration.
    pub defaults: TrainConfig,
    /// The data every trial trains on.
    pub data: DataSpec,
    /// The sweeps, in file order.
    pub sweeps: Vec<Sweep>,
}

fn table<'v>(v: &'v Value, path: &str) -> Result<&'v Table> {
    v.as_table()
        .ok_or_else(|| bad(path, format!("expected a table, got {}", v.type_str())))
}

fn parse_defaults(t: &Table, config: &mut TrainConfig, data: &mut DataSpec) -> Result<()> {
    for (key, value) in t {
        let path = join("defaults", key);
        match key.as_str() {
            "data" => {
                data.source = as_str(value, &path)?
                    .parse::<DataSource>()
                    .map_err(|e| bad(&path, e))?
            }
            "val" => {
                data.val = as_str(value, &path)?
                    .parse::<ValMode>()
                    .map_err(|e| bad(&path, e))?
            }
            "split_seed" => {
                data.split_seed = match value {
                    Value::Integer(i) if (0..1 << 32).contains(i) => *i as u64,
                    _ => return Err(bad(&path, "expected an integer in 0..2^32")),
                }
            }
            k if find(k).is_some() => apply(config, k, value, &path)?,
            k => {
                let mut all = names();
                all.extend(DATA_KEYS);
                return Err(bad(&path, unknown(k, &all)));
            }
        }
    }
    Ok(())
}

fn parse_sweep(v: &Value, index: usize, defaults: &TrainConfig) -> Result<Sweep> {
    let t = table(v, &format!("sweep[{index}]"))?;
    let name = match t.get("name") {
        Some(n) => as_str(n, &format!("sweep[{index}].name"))?.to_string(),
        None => return Err(bad(&format!("sweep[{index}]"), "missing key 'name'")),
    };
    let ok_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    if !ok_name {
        return Err(bad(
            &format!("sweep[{index}].name"),
            format!("'{name}' must be non-empty letters, digits, '_', '-' or '.'"),
        ));
    }
    let at = format!("sweep.{name}");
    let mut base = defaults.clone();
    let mut vary = Vec::new();
    let mut search = None;
    for (key, value) in t {
        match key.as_str() {
            "name" => {}
            "set" => {
                for (k, v) in table(value, &join(&at, "set"))? {
                    apply(&mut base, k, v, &join(&join(&at, "set"), k))?;
                }
            }
            "vary" => {
                let vt = table(value, &join(&at, "vary"))?;
                if vt.is_empty() || vt.len() > 2 {
                    return Err(bad(
                        &join(&at, "vary"),
                        format!("must vary one or two parameters, found {}", vt.len()),
                    ));
                }
                for p in PARAMS {
                    match vt.get(p.name) {
                        Some(Value::Table(t)) if p.name == "lr" => {
                            let axis = super::lr_search::LrSearch::parse(
                                t,
                                &join(&join(&at, "vary"), "lr"),
                            )?;
                            let grid = axis
                                .grid()
                                .into_iter()
                                .map(|j| Value::Float(super::lr_search::lattice_value(j)));
                            vary.push((p.name.to_string(), grid.collect()));
                            search = Some(axis);
                        }
                        Some(list) => {
                            vary.push((p.name.to_string(), parse_list(&base, p.name, list, &at)?))
                        }
                        None => {}
                    }
                }
                if let Some(k) = vt.keys().find(|k| find(k).is_none()) {
                    let path = join(&join(&at, "vary"), k);
                    let msg = if DATA_KEYS.contains(&k.as_str()) {
                        "the data cannot be swept (set it in [defaults]; one data set per study)"
                            .into()
                    } else {
                        unknown(k, &names())
                    };
                    return Err(bad(&path, msg));
                }
            }
            k => return Err(bad(&join(&at, k), unknown(k, &["name", "set", "vary"]))),
        }
    }
    if vary.is_empty() {
        return Err(bad(
            &at,
            "missing key 'vary' (one or two parameters to sweep)",
        ));
    }
    // A `set` key that is also varied is overridden by the varied values; say so instead.
    if let Some(Value::Table(set)) = t.get("set")
        && let Some((k, _)) = vary.iter().find(|(k, _)| set.contains_key(k))
    {
        return Err(bad(
            &join(&at, "set"),
            format!("'{k}' is both set and varied"),
        ));
    }
    Ok(Sweep {
        name,
        base,
        vary,
        search,
    })
}

fn parse_list(base: &TrainConfig, key: &str, list: &Value, at: &str) -> Result<Vec<Value>> {
    let path = format!("{at}.vary.{key}");
    let items = list
        .as_array()
        .ok_or_else(|| bad(&path, format!("expected a list, got {}", list.type_str())))?;
    if items.is_empty() {
        return Err(bad(&path, "empty list"));
    }
    for (i, v) in items.iter().enumerate() {
        apply(&mut base.clone(), key, v, &format!("{path}[{i}]"))?;
    }
    Ok(items.clone())
}

impl Study {
    /// Parses a study from TOML text; `origin` names it in errors. Every error is one line
    /// ([`Error::Usage`]): `ORIGIN:LINE:COLUMN: message` for a TOML syntax error,
    /// `ORIGIN: key.path: message` for an invalid value.
    pub fn parse(text: &str, origin: &str) -> Result<Study> {
        let doc: Table = text
            .parse()
            .map_err(|e: toml::de::Error| syntax_error(origin, text, &e))?;
        Study::from_table(&doc).map_err(|e| match e {
            Error::Usage(m) => Error::Usage(format!("{origin}: {m}")),
            other => other,
        })
    }

    /// Reads and parses a study file; one that cannot be read is [`Error::Input`].
    pub fn load(path: &Path) -> Result<Study> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::input(format!("could not read study file '{}'", path.display()), e)
        })?;
        Study::parse(&text, &path.display().to_string())
    }

    fn from_table(doc: &Table) -> Result<Study> {
        const TOP: [&str; 5] = ["name", "seeds", "target_mde", "defaults", "sweep"];
        if let Some(k) = doc.keys().find(|k| !TOP.contains(&k.as_str())) {
            return Err(bad(k, unknown(k, &TOP)));
        }
        let name = match doc.get("name") {
            Some(v) => as_str(v, "name")?.to_string(),
            None => return Err(bad("name", "missing (every study needs a name)")),
        };
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(bad(
                "name",
                format!("'{name}' is not usable as a directory name"),
            ));
        }
        let (seeds, seed_range) = match doc.get("seeds") {
            Some(Value::String(r)) => {
                let range: super::seeds::SeedRange =
                    r.parse().map_err(|e: Error| bad("seeds", e.to_string()))?;
                (range.max, Some(range))
            }
            Some(v) => (as_count(v, "seeds")?, None),
            None => (DEFAULT_SEEDS, None),
        };
        let target_mde = match doc.get("target_mde") {
            Some(v) => {
                let x = match v {
                    Value::Float(f) => *f,
                    Value::Integer(i) => *i as f64,
                    other => {
                        return Err(bad(
                            "target_mde",
                            format!("expected accuracy points, got {}", other.type_str()),
                        ));
                    }
                };
                if !(x > 0.0 && x.is_finite()) {
                    return Err(bad("target_mde", "must be > 0 accuracy points"));
                }
                Some(x)
            }
            None => None,
        };
        let mut defaults = TrainConfig::default();
        let mut data = DataSpec::default();
        if let Some(v) = doc.get("defaults") {
            parse_defaults(table(v, "defaults")?, &mut defaults, &mut data)?;
        }
        let list = match doc.get("sweep") {
            Some(Value::Array(a)) if !a.is_empty() => a,
            Some(Value::Array(_)) => return Err(bad("sweep", "empty list")),
            Some(other) => {
                return Err(bad(
                    "sweep",
                    format!("expected [[sweep]] tables, got {}", other.type_str()),
                ));
            }
            None => {
                return Err(bad(
                    "sweep",
                    "missing: a study needs at least one [[sweep]]",
                ));
            }
        };
        let mut sweeps: Vec<Sweep> = Vec::new();
        for (i, v) in list.iter().enumerate() {
            let sweep = parse_sweep(v, i, &defaults)?;
            if sweeps.iter().any(|s| s.name == sweep.name) {
                return Err(bad(
                    &format!("sweep[{i}].name"),
                    format!("duplicate sweep name '{}'", sweep.name),
                ));
            }
            sweeps.push(sweep);
        }
        Ok(Study {
            name,
            seeds,
            seed_range,
            target_mde,
            defaults,
            data,
            sweeps,
        })
    }

    /// The sweep called `name`.
    pub fn sweep(&self, name: &str) -> Option<&Sweep> {
        self.sweeps.iter().find(|s| s.name == name)
    }
}

/// A TOML syntax error as one line: `ORIGIN:LINE:COLUMN: message` (1-based; the column
/// counts characters), or `ORIGIN: message` when toml gives no position. toml's own display
/// is five lines (a caret under a quoted source line), which breaks one-line error output.
fn syntax_error(origin: &str, text: &str, e: &toml::de::Error) -> Error {
    let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
    let Some(span) = e.span() else {
        return Error::Usage(format!("{origin}: {message}"));
    };
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    Error::Usage(format!("{origin}:{line}:{column}: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
        name = "t"
        seeds = 3
        [defaults]
        lr = 1e-3
        data = "synth:3000"
        [[sweep]]
        name = "bs"
        vary = { batch_size = [32, 64] }
        [[sweep]]
        name = "grid"
        set = { epochs = 2 }
        vary = { lr = [1e-2, 1e-3], model = ["jsc-tiny", "jsc-toy"] }
    "#;

    fn err(text: &str) -> String {
        let e = Study::parse(text, "s.toml").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        e.to_string()
    }

    #[test]
    fn parses_defaults_sweeps_and_cartesian_products() {
        let s = Study::parse(OK, "s.toml").unwrap();
        assert_eq!((s.name.as_str(), s.seeds), ("t", 3));
        assert_eq!(s.defaults.lr, 1e-3);
        assert_eq!(s.defaults.batch_size, 128);
        assert_eq!(s.data.source, "synth:3000".parse().unwrap());
        let grid = s.sweep("grid").unwrap().configs();
        assert_eq!(grid.len(), 4);
        assert!(grid.iter().all(|c| c.epochs == 2));
        assert_eq!((grid[0].lr, grid[0].model.as_str()), (1e-2, "jsc-tiny"));
        assert_eq!((grid[1].lr, grid[1].model.as_str()), (1e-2, "jsc-toy"));
        assert_eq!(s.sweep("bs").unwrap().configs()[1].batch_size, 64);
        let dflt = Study::parse("name='x'\n[[sweep]]\nname='a'\nvary={epochs=[1]}", "f").unwrap();
        assert_eq!(dflt.seeds, DEFAULT_SEEDS);
    }

    #[test]
    fn errors_name_the_key_path() {
        let with = |extra: &str| format!("name = \"t\"\n{extra}");
        let sweep = |body: &str| with(&format!("[[sweep]]\nname = \"s\"\n{body}"));
        let cases = [
            (with("bogus = 1"), "bogus: unknown key"),
            (
                with("[defaults]\nbach_size = 3"),
                "defaults.bach_size: unknown key",
            ),
            (
                with("[defaults]\nlr = -1.0"),
                "defaults.lr: learning rate must be > 0",
            ),
            (
                with("[defaults]\nmodel = \"big\""),
                "defaults.model: unknown model",
            ),
            (sweep("vary = { lr = [] }"), "sweep.s.vary.lr: empty list"),
            (
                sweep("vary = { lr = [1e-3, 0.0] }"),
                "sweep.s.vary.lr[1]: learning rate",
            ),
            (
                sweep("vary = { batch_size = [0] }"),
                "sweep.s.vary.batch_size[0]: must be at least 1",
            ),
            (
                sweep("vary = { epochs = [\"x\"] }"),
                "sweep.s.vary.epochs[0]: expected an integer",
            ),
            (
                sweep("vary = { data = [\"synth\"] }"),
                "sweep.s.vary.data: the data cannot be swept",
            ),
            (
                sweep("vary = { lr = [1.0], epochs = [1], batch_size = [1] }"),
                "one or two",
            ),
            (
                sweep("set = { lr = 1.0 }\nvary = { lr = [1.0] }"),
                "'lr' is both set and varied",
            ),
            (
                sweep("set = { optimiser = 1 }\nvary = { lr = [1.0] }"),
                "sweep.s.set.optimiser: unknown key",
            ),
            (
                sweep("vary = { lr = [1.0] }\nrepeat = 2"),
                "sweep.s.repeat: unknown key",
            ),
            (sweep(""), "sweep.s: missing key 'vary'"),
            (with("seeds = 0"), "seeds: must be at least 1"),
            (with(""), "sweep: missing"),
            ("seeds = 3".to_string(), "name: missing"),
            (
                with("[[sweep]]\nname='a'\nvary={lr=[1.0]}\n[[sweep]]\nname='a'\nvary={lr=[1.0]}"),
                "sweep[1].name: duplicate",
            ),
        ];
        for (text, want) in cases {
            let got = err(&text);
            assert!(got.starts_with("s.toml: "), "{got}");
            assert!(got.contains(want), "expected '{want}' in: {got}");
        }
    }

    #[test]
    fn syntax_errors_are_one_line_with_line_and_column() {
        for (text, want) in [
            ("name = \"t\"\n[defaults]\nlr = = 1e-3\n", "s.toml:3:6: "),
            ("name = \"t\"\n[defaults\n", "s.toml:2:"),
            ("name = \"é\" x\n", "s.toml:1:12: "),
            ("name = \"t\"\r\nx = = 1\r\n", "s.toml:2:5: "),
            ("name = 't'\nname = 'u'\n", "s.toml:2:1: "),
        ] {
            let got = err(text);
            assert!(
                got.starts_with(want),
                "expected '{want}' at the start of: {got}"
            );
            assert_eq!(got.lines().count(), 1, "{got}");
            assert!(got.len() > want.len() + 5, "a message follows: {got}");
        }
    }
}
