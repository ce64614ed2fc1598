//! What `trainer train` tells its user: the figures of the run, as text or JSON.

use std::io::Write;

use anyhow::Result;
use flate2::write::GzEncoder;
use flate2::Compression;
use movieclassifier::train::Summary;
use serde::Serialize;

use crate::feed::Outcome;

#[derive(Serialize)]
pub struct TrainReport {
    pub data: String,
    /// The recipe's name, or the model that was taught further.
    pub recipe: String,
    pub model: String,
    pub model_bytes: usize,
    pub model_bytes_gzip: usize,
    pub nonzero_weights: usize,
    pub intercept: f64,
    pub held_out: Summary,
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl TrainReport {
    pub fn print(&self) {
        let outcome = &self.outcome;
        println!(
            "trained on {} rows in {} batches in {:.2} s ({})",
            outcome.rows_trained, outcome.batches, outcome.seconds, self.recipe
        );
        println!("order: {}", outcome.intake.order);
        for note in outcome.intake.notes() {
            println!("{note}");
        }
        if self.held_out.rows > 0 {
            println!("held out: the last {} rows", self.held_out.rows);
            println!("{}", self.held_out.lines());
        } else {
            println!("no rows held out (--test-rows N holds out the last N)");
        }
        println!(
            "wrote {} ({} bytes, {} gzip'd; {} non-zero weights, intercept {:.5})",
            self.model,
            self.model_bytes,
            self.model_bytes_gzip,
            self.nonzero_weights,
            self.intercept
        );
    }
}

/// The size of `bytes` after gzip at its default level, as a static host would serve them.
/// (Model files, a postcard of varints and floats, come out the same size at level 9, which
/// took longer than the rest of writing the model.)
///
/// The two halves are compressed at once, as the two members of one gzip file, which `gunzip`
/// reads as one: compressing the notebook recipe's model as one stream took 15 ms on one core
/// after training had finished, a tenth of the run; two members took 7-12 ms, and come out
/// 0.04% larger (799,714 bytes instead of 799,382).
pub fn gzip_len(bytes: &[u8]) -> Result<usize> {
    let (first, second) = bytes.split_at(bytes.len() / 2);
    std::thread::scope(|scope| {
        let first = scope.spawn(|| gzip_member_len(first));
        let second = gzip_member_len(second)?;
        let first = first
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        Ok(first + second)
    })
}

fn gzip_member_len(bytes: &[u8]) -> Result<usize> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len()), Compression::default());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
}
