//! An aclImdb archive's reviews in a mixed order, with bounded memory.
//!
//! The archive lies sorted by class, and a gzip'd tar cannot be read out of order. So it is
//! read once to count each class ([`ArchiveCount`]), then through one reader per class
//! ([`ArchiveMix`]): the next review comes from a class with probability in proportion to
//! what that class has left, so the classes are mixed evenly from start to end, then through a
//! shuffle buffer of [`ARCHIVE_SHUFFLE_ROWS`], since within a class the files lie in order of
//! their ids, which group the reviews of one film. Memory is one buffered member per reader
//! and the shuffle buffer, whatever the archive's size. The caller owns the two readers' bytes
//! (files natively, streams in the page) and feeds whichever [`ArchiveMix::wants`] names.

use std::collections::VecDeque;

use super::{acl_imdb_label, review, Draws, Halves, Place, ReadError, Row, Shuffler, Tar};
use crate::label::Label;

/// The shuffle buffer an archive's rows go through after its classes are mixed.
pub const ARCHIVE_SHUFFLE_ROWS: usize = 1000;

/// The two classes, in the order of their counts.
const CLASSES: [Label; 2] = [Label::Negative, Label::Positive];

/// Counts the reviews of each class in an archive's `halves`, from its bytes.
#[derive(Debug)]
pub struct ArchiveCount {
    tar: Tar,
    halves: Halves,
    counts: [u64; 2],
}

impl ArchiveCount {
    pub fn new(halves: Halves) -> ArchiveCount {
        ArchiveCount {
            tar: Tar::new(),
            halves,
            counts: [0; 2],
        }
    }

    pub fn push(&mut self, bytes: &[u8]) -> Result<(), ReadError> {
        let (halves, counts) = (self.halves, &mut self.counts);
        self.tar.push(
            bytes,
            |path| {
                if let Some((split, label)) = acl_imdb_label(path) {
                    if halves.has(split) {
                        counts[usize::from(label.digit())] += 1;
                    }
                }
                false
            },
            |_| {},
        )
    }

    /// The counts (negative, positive), once the archive has been read whole.
    pub fn finish(self) -> Result<[u64; 2], ReadError> {
        self.tar.finish()?;
        if self.counts == [0, 0] {
            return Err(ReadError::Archive(
                "it holds no aclImdb reviews in the chosen half (train|test/pos|neg/*.txt)".into(),
            ));
        }
        Ok(self.counts)
    }
}

/// One class's reviews, from a reader of the whole archive.
#[derive(Debug)]
struct ClassReader {
    tar: Tar,
    label: Label,
    queue: VecDeque<Row>,
    done: bool,
}

/// An archive's reviews, mixed (see the module's doc).
#[derive(Debug)]
pub struct ArchiveMix {
    classes: [ClassReader; 2],
    halves: Halves,
    remaining: [u64; 2],
    draws: Draws,
    /// The class drawn for the next row, while its reader has no row ready.
    drawn: Option<usize>,
    shuffler: Option<Shuffler<Row>>,
    rest: std::vec::IntoIter<Row>,
}

impl ArchiveMix {
    /// Mixes the reviews of `halves`, `counts` of them (from [`ArchiveCount`]), by `seed`.
    pub fn new(counts: [u64; 2], halves: Halves, seed: u32) -> ArchiveMix {
        let reader = |label| ClassReader {
            tar: Tar::new(),
            label,
            queue: VecDeque::new(),
            done: false,
        };
        ArchiveMix {
            classes: CLASSES.map(reader),
            halves,
            remaining: counts,
            draws: Draws::new(seed),
            drawn: None,
            shuffler: Some(Shuffler::new(ARCHIVE_SHUFFLE_ROWS, seed)),
            rest: Vec::new().into_iter(),
        }
    }

    /// Which class's reader (0 negative, 1 positive) needs more of the archive's bytes before
    /// the next row can come out; `None` when [`ArchiveMix::next_row`] can answer.
    pub fn wants(&mut self) -> Option<usize> {
        loop {
            let Some(shuffler) = &mut self.shuffler else {
                return None;
            };
            let class = match self.drawn {
                Some(class) => class,
                None => match self.draws.pick(&self.remaining) {
                    Some(class) => {
                        self.drawn = Some(class);
                        class
                    }
                    None => {
                        self.rest = self
                            .shuffler
                            .take()
                            .map(Shuffler::drain)
                            .unwrap_or_default()
                            .into_iter();
                        return None;
                    }
                },
            };
            let reader = &mut self.classes[class];
            match reader.queue.pop_front() {
                Some(row) => {
                    self.drawn = None;
                    self.remaining[class] -= 1;
                    if let Some(out) = shuffler.push(row) {
                        self.rest = vec![out].into_iter();
                        return None;
                    }
                }
                None if reader.done => {
                    // The archive had fewer of this class than counted: nothing more to draw.
                    self.drawn = None;
                    self.remaining[class] = 0;
                }
                None => return Some(class),
            }
        }
    }

    /// Bytes of the archive for reader `class`, in order; an empty slice at its end.
    pub fn push(&mut self, class: usize, bytes: &[u8]) -> Result<(), ReadError> {
        let halves = self.halves;
        let reader = &mut self.classes[class];
        if bytes.is_empty() {
            reader.done = true;
            return reader.tar.finish();
        }
        let label = reader.label;
        let queue = &mut reader.queue;
        reader.tar.push(
            bytes,
            |path| acl_imdb_label(path).is_some_and(|(split, l)| halves.has(split) && l == label),
            |member| {
                let place = Place::File(member.path.to_owned());
                queue.push_back(review(member.bytes, Some(label), place));
            },
        )?;
        reader.done |= reader.tar.ended();
        Ok(())
    }

    /// The next row, once [`ArchiveMix::wants`] says none of the archive is needed.
    pub fn next_row(&mut self) -> Option<Row> {
        self.rest.next()
    }
}
