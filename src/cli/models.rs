//! `trainbench models`.

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use trainbench::Result;
use trainbench::format::thousands;
use trainbench::model::{MODEL_NAMES, ModelSpec};

pub fn run() -> Result<()> {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(["model", "layers", "parameters"]);
    for name in MODEL_NAMES.iter().copied().chain(["mlp:16-64-32-32-5"]) {
        let spec = ModelSpec::parse(name)?;
        table.add_row(vec![
            Cell::new(name),
            Cell::new(spec.describe()),
            Cell::new(thousands(spec.param_count())).set_alignment(CellAlignment::Right),
        ]);
    }
    outln!("{table}");
    Ok(())
}
