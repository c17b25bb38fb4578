//! The MASE Lab 1 networks as layer lists, with exact parameter counts.
//!
//! A [`ModelSpec`] is a plain description (layers and sizes); [`crate::net`] turns it into
//! tensors on a device. The layer lists are MASE's (`machop/chop/models/physical/jet_substructure`),
//! PyTorch order, with BatchNorm1d's affine parameters counted:
//!
//! | name | layers | params |
//! |---|---|---|
//! | `jsc-tiny` | BN(16), ReLU, Linear(16→5), BN(5), ReLU | 127 |
//! | `jsc-tiny-v2` | BN(16), ReLU, Linear(16→5), ReLU | 117 |
//! | `jsc-toy` | BN(16), ReLU, Linear(16→8), BN(8), ReLU, Linear(8→8), BN(8), ReLU, Linear(8→5), BN(5), ReLU | 327 |
//! | `jsc-s` | BN(16), ReLU, Linear(16→64), BN(64), ReLU, Linear(64→32), ReLU, Linear(32→32), ReLU, Linear(32→32), ReLU, Linear(32→5), BN(5), ReLU | 5,615 |
//! | `jsc-tiny-10x` | BN(16), ReLU, Linear(16→32), BN(32), ReLU, Linear(32→16), BN(16), ReLU, Linear(16→5), BN(5), ReLU | 1,295 |
//! | `jsc-toy-10x` | BN(16), ReLU, Linear(16→50), BN(50), ReLU, Linear(50→40), BN(40), ReLU, Linear(40→5), BN(5), ReLU | 3,317 |
//!
//! The two "10×" models answer Lab 1 question 4: the lab notebook asks for 10× jsc-tiny
//! (127 → 1,295, ×10.2), the lab text for 10× jsc-toy (327 → 3,317, ×10.1). Both keep MASE's
//! style (BN after every hidden Linear, BN + ReLU on the output).
//!
//! Like MASE, every `jsc-*` model ends in ReLU, so the loss sees non-negative logits.
//!
//! A generic `mlp:16-64-32-32-5` spec is also accepted: BN(in), then Linear + ReLU for each
//! hidden width, then a plain Linear to the output — raw logits, no output BN and no final
//! ReLU, i.e. the hls4ml reference net (16→64→32→32→5, 4,389 Linear params) with an input
//! BatchNorm standing in for the scaler (+32 params = 4,421).

use crate::{Error, Result};
use std::fmt;

/// One layer of a network. Sizes are feature counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// `BatchNorm1d(n)`: affine weight and bias (2n params), running mean and variance.
    BatchNorm(usize),
    /// `ReLU`.
    Relu,
    /// `Linear(in → out)` with bias: in·out + out params.
    Linear(usize, usize),
}

impl Layer {
    /// Trainable parameters of this layer.
    pub fn param_count(&self) -> usize {
        match *self {
            Layer::BatchNorm(n) => 2 * n,
            Layer::Relu => 0,
            Layer::Linear(i, o) => i * o + o,
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Layer::BatchNorm(n) => write!(f, "BN({n})"),
            Layer::Relu => write!(f, "ReLU"),
            Layer::Linear(i, o) => write!(f, "Linear({i}→{o})"),
        }
    }
}

/// A named network: its layer list, input width 16 and output width 5 for JSC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSpec {
    /// The name it was parsed from (`jsc-tiny`, `mlp:16-64-32-32-5`, ...).
    pub name: String,
    /// Layers in forward order.
    pub layers: Vec<Layer>,
}

/// The named models, in the order `trainbench models` lists them.
pub const MODEL_NAMES: [&str; 6] = [
    "jsc-tiny",
    "jsc-tiny-v2",
    "jsc-toy",
    "jsc-s",
    "jsc-tiny-10x",
    "jsc-toy-10x",
];

/// MASE's style: BN(16), ReLU, then for each width Linear + BN + ReLU; the widths end at 5.
fn mase_style(widths: &[usize]) -> Vec<Layer> {
    let mut layers = vec![Layer::BatchNorm(16), Layer::Relu];
    let mut prev = 16;
    for &w in widths {
        layers.extend([Layer::Linear(prev, w), Layer::BatchNorm(w), Layer::Relu]);
        prev = w;
    }
    layers
}

impl ModelSpec {
    /// Parses a model name (one of [`MODEL_NAMES`] or `mlp:W0-W1-...-Wn`).
    pub fn parse(name: &str) -> Result<Self> {
        use Layer::*;
        let layers = match name {
            "jsc-tiny" => mase_style(&[5]),
            "jsc-tiny-v2" => vec![BatchNorm(16), Relu, Linear(16, 5), Relu],
            "jsc-toy" => mase_style(&[8, 8, 5]),
            "jsc-s" => vec![
                BatchNorm(16),
                Relu,
                Linear(16, 64),
                BatchNorm(64),
                Relu,
                Linear(64, 32),
                Relu,
                Linear(32, 32),
                Relu,
                Linear(32, 32),
                Relu,
                Linear(32, 5),
                BatchNorm(5),
                Relu,
            ],
            "jsc-tiny-10x" => mase_style(&[32, 16, 5]),
            "jsc-toy-10x" => mase_style(&[50, 40, 5]),
            other => match other.strip_prefix("mlp:") {
                Some(widths) => Self::mlp_layers(other, widths)?,
                None => {
                    return Err(Error::Usage(format!(
                        "unknown model '{other}' (known: {}, or mlp:16-...-5)",
                        MODEL_NAMES.join(", ")
                    )));
                }
            },
        };
        Ok(ModelSpec {
            name: name.to_string(),
            layers,
        })
    }

    fn mlp_layers(name: &str, widths: &str) -> Result<Vec<Layer>> {
        let bad = |why: &str| Error::Usage(format!("invalid model '{name}': {why}"));
        let widths: Vec<usize> = widths
            .split('-')
            .map(|w| w.parse::<usize>().ok().filter(|&w| w > 0))
            .collect::<Option<_>>()
            .ok_or_else(|| bad("widths must be positive integers joined by '-'"))?;
        if widths.len() < 2 {
            return Err(bad("needs at least an input and an output width"));
        }
        if widths[0] != 16 || widths[widths.len() - 1] != 5 {
            return Err(bad("JSC networks go from 16 inputs to 5 outputs"));
        }
        let mut layers = vec![Layer::BatchNorm(16)];
        for pair in widths.windows(2) {
            layers.push(Layer::Linear(pair[0], pair[1]));
            layers.push(Layer::Relu);
        }
        layers.pop(); // raw logits: no ReLU after the output Linear
        Ok(layers)
    }

    /// Trainable parameters (Linear weights and biases, BatchNorm affine).
    pub fn param_count(&self) -> usize {
        self.layers.iter().map(Layer::param_count).sum()
    }

    /// The layer list as text, e.g. `BN(16), ReLU, Linear(16→5), BN(5), ReLU`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self.layers.iter().map(|l| l.to_string()).collect();
        parts.join(", ")
    }

    /// Input width (features).
    pub fn inputs(&self) -> usize {
        match self.layers.first() {
            Some(Layer::BatchNorm(n)) | Some(Layer::Linear(n, _)) => *n,
            _ => 16,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(name: &str) -> usize {
        ModelSpec::parse(name).unwrap().param_count()
    }

    /// Counts from PyTorch: `sum(p.numel() for p in model.parameters())` of MASE's modules.
    #[test]
    fn mase_parameter_counts_are_exact() {
        assert_eq!(count("jsc-tiny"), 127);
        assert_eq!(count("jsc-tiny-v2"), 117);
        assert_eq!(count("jsc-toy"), 327);
        assert_eq!(count("jsc-s"), 5_615);
    }

    #[test]
    fn ten_x_models_are_about_ten_times_their_base() {
        assert_eq!(count("jsc-tiny-10x"), 1_295);
        assert_eq!(count("jsc-toy-10x"), 3_317);
        let ratio_tiny = 1_295.0 / 127.0;
        let ratio_toy = 3_317.0 / 327.0;
        assert!((9.5..10.5).contains(&ratio_tiny), "{ratio_tiny}");
        assert!((9.5..10.5).contains(&ratio_toy), "{ratio_toy}");
    }

    #[test]
    fn mlp_spec_is_the_hls4ml_net_plus_input_bn() {
        let m = ModelSpec::parse("mlp:16-64-32-32-5").unwrap();
        assert_eq!(m.param_count(), 4_389 + 32);
        assert_eq!(
            m.describe(),
            "BN(16), Linear(16→64), ReLU, Linear(64→32), ReLU, Linear(32→32), ReLU, Linear(32→5)"
        );
    }

    #[test]
    fn jsc_tiny_layer_list_matches_the_lab() {
        assert_eq!(
            ModelSpec::parse("jsc-tiny").unwrap().describe(),
            "BN(16), ReLU, Linear(16→5), BN(5), ReLU"
        );
    }

    #[test]
    fn bad_names_are_usage_errors() {
        for bad in [
            "jsc-huge",
            "mlp:",
            "mlp:16",
            "mlp:16-x-5",
            "mlp:8-5",
            "mlp:16-0-5",
        ] {
            let err = ModelSpec::parse(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}: {err}");
        }
    }
}
