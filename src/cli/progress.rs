//! Progress of a study run on the terminal: the overall bar (trials, ETA) and the current
//! group's bar, or plain lines when stderr is not a terminal.

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use trainbench::format::duration;
use trainbench::report::text::group_accuracy;
use trainbench::study::{Event, Plan, group_title};
use trainbench::train::Progress;
use trainbench::{Error, Result};

/// The two bars of a run.
pub struct Bars {
    multi: MultiProgress,
    overall: ProgressBar,
    group: ProgressBar,
}

impl Bars {
    /// Bars for `trials` trials estimated at `est_total` seconds.
    pub fn new(trials: usize, est_total: f64) -> Result<Bars> {
        let style =
            |t: &str| ProgressStyle::with_template(t).map_err(|e| Error::Other(e.to_string()));
        let multi = MultiProgress::new();
        let overall = multi.add(ProgressBar::new(trials as u64));
        overall.set_style(style("trials {bar:30} {pos}/{len} {elapsed} {msg}")?);
        overall.set_message(format!("ETA ~{}", duration(est_total)));
        let group = multi.add(ProgressBar::new(0));
        group.set_style(style(
            "  {prefix} epoch {msg} {bar:20} {pos}/{len} batches",
        )?);
        Ok(Bars {
            multi,
            overall,
            group,
        })
    }

    fn line(&self, s: String) {
        if self.multi.is_hidden() {
            errln!("{s}");
        } else {
            let _ = self.multi.println(s);
        }
    }

    /// Shows one event of the run.
    pub fn on(&self, plan: &Plan, event: Event) {
        match event {
            Event::GroupStart {
                group,
                index,
                total,
            } => {
                let head = format!("[{}/{total}] {}", index + 1, group_title(plan, group));
                if self.multi.is_hidden() {
                    errln!("{head} ...");
                }
                self.group.set_prefix(head);
                self.group.set_position(0);
            }
            Event::Train(Progress::Batch { epoch, done, total }) => {
                if done == 1 {
                    self.group.set_length(total as u64);
                    self.group.set_message(epoch.to_string());
                }
                self.group.set_position(done as u64);
            }
            // Stages are the caller's to print.
            Event::Train(Progress::Epoch(_))
            | Event::StageStart { .. }
            | Event::StageDone(_)
            | Event::Decided(_)
            | Event::Searched { .. } => {}
            Event::GroupDone {
                group,
                records,
                seconds,
                eta,
            } => {
                self.overall.inc(records.len() as u64);
                let eta = duration(eta);
                self.overall.set_message(format!("ETA {eta}"));
                self.line(format!(
                    "  done {}: {} in {} ({}/{} trials, ETA {eta})",
                    group_title(plan, group),
                    group_accuracy(plan, group, records),
                    duration(seconds),
                    self.overall.position(),
                    self.overall.length().unwrap_or(0),
                ));
            }
        }
    }

    /// Clears the bars.
    pub fn finish(&self) {
        self.group.finish_and_clear();
        self.overall.finish_and_clear();
    }
}
