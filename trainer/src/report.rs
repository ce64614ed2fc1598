//! What `trainer train` tells its user: the figures of the run, as text or JSON.

use anyhow::Result;
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

/// The size of `bytes` after gzip at its default level (6), as a static host would serve them.
/// (Model files, a postcard of varints and floats, come out the same size at level 9, which
/// took longer than the rest of writing the model.)
///
/// It is computed after training has finished, so it adds to every run. The two halves are
/// compressed at once, as the two members of one gzip file, which `gunzip` reads as one: as
/// one stream the notebook recipe's model took 15 ms on one core, a tenth of the run. And by
/// libdeflate, not zlib-rs, which reads `.gz` input: on that model it took 7.5 ms to zlib-rs's
/// 14.7 ms (medians of 15), its output 0.15% larger (800,565 bytes against 799,402; the site
/// recipe's 0.46%); side by side, three rounds of 25 runs each, the notebook run 1.7-4.4 ms
/// shorter.
pub fn gzip_len(bytes: &[u8]) -> Result<usize> {
    Ok(gzip_halves(bytes)?.iter().map(Vec::len).sum())
}

/// `bytes` gzip'd as two members, its two halves, each compressed on a thread of its own.
fn gzip_halves(bytes: &[u8]) -> Result<[Vec<u8>; 2]> {
    let (first, second) = bytes.split_at(bytes.len() / 2);
    std::thread::scope(|scope| {
        let first = scope.spawn(|| gzip_member(first));
        let second = gzip_member(second)?;
        let first = first
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        Ok([first, second])
    })
}

fn gzip_member(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut compressor = libdeflater::Compressor::new(libdeflater::CompressionLvl::default());
    let mut out = vec![0; compressor.gzip_compress_bound(bytes.len())];
    let len = compressor.gzip_compress(bytes, &mut out)?;
    out.truncate(len);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::read::MultiGzDecoder;

    use super::*;

    #[test]
    fn the_two_members_gunzip_as_one_file_of_the_bytes() {
        let text: Vec<u8> = (0..100_000u32)
            .flat_map(|n| (n % 251).to_le_bytes())
            .collect();
        for bytes in [&text[..], &text[..1], &[][..]] {
            let members = gzip_halves(bytes).unwrap();
            let file = members.concat();
            let mut read = Vec::new();
            MultiGzDecoder::new(&file[..])
                .read_to_end(&mut read)
                .unwrap();
            assert_eq!(read, bytes);
            assert_eq!(gzip_len(bytes).unwrap(), file.len());
        }
        assert!(gzip_len(&text).unwrap() < text.len() / 4);
    }
}
