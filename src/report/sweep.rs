//! A sweep as a report lays it out: its varied parameters and configurations in order
//! ([`SweepView`]), and the trials of each configuration ([`by_config`]).

use crate::record::TrialRecord;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One configuration of a sweep, as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigView {
    /// The stable configuration id.
    pub config_id: String,
    /// The values of the sweep's varied parameters, in `SweepView::params` order.
    pub values: Vec<String>,
}

/// The layout of one sweep: its name, varied parameters and configurations in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepView {
    /// Sweep name.
    pub name: String,
    /// Names of the varied parameters (one or two).
    pub params: Vec<String>,
    /// Configurations, in the study file's order.
    pub configs: Vec<ConfigView>,
    /// The sweep's learning rate is searched (`lr = { search = … }`): its axis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<crate::study::lr_search::LrSearch>,
}

/// Trials of one configuration, by config id.
pub fn by_config(records: &[TrialRecord]) -> HashMap<&str, Vec<&TrialRecord>> {
    let mut map: HashMap<&str, Vec<&TrialRecord>> = HashMap::new();
    for r in records {
        if let Some(id) = r.config_id.as_deref() {
            map.entry(id).or_default().push(r);
        }
    }
    map
}
