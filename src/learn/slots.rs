//! Which slot of a learner's weights holds each feature column.
//!
//! Of the 2^21 columns of the notebook's feature space, a model ever uses a few hundred
//! thousand. Keeping weights per slot, with a slot for each column met, makes memory follow
//! what a model stores rather than the size of the space it declares (a 99-byte file declaring
//! 2^24 columns once cost 363 MB), and keeps the weights a learner touches together in cache
//! (learning the notebook's 45,000 reviews touches about 100,000 slots, one megabyte).

/// A map from feature column to slot, slots numbered from 0 in the order columns arrive.
///
/// Open addressing with linear probing over a power-of-two table at most half full, keyed by
/// a multiplicative hash; each position holds the column beside its slot, so a lookup reads
/// one place of memory, not two.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnSlots {
    /// The column of each slot.
    columns: Vec<u32>,
    /// (column, slot + 1) at each position of the hash table; slot + 1 is 0 where it is empty.
    table: Vec<(u32, u32)>,
}

impl ColumnSlots {
    /// Slots for `columns`, in that order; a column given twice gets one slot.
    pub fn from_columns(columns: impl IntoIterator<Item = u32>) -> Self {
        let mut columns: Vec<u32> = columns.into_iter().collect();
        let mut slots = ColumnSlots::default();
        // Sized once, as growing would leave it, not doubled fourteen times on the way to a
        // model's 120,000 columns; written, not allocated zeroed, as in `grow`.
        if !columns.is_empty() {
            let size = (columns.len() * 2).next_power_of_two().max(16);
            slots.table = Vec::with_capacity(size);
            slots.table.resize(size, (0, 0));
        }
        // Many at a time, for the reason `slots_or_insert` gives: reading the shipped model
        // spent half its time in this table, one place after another.
        slots.slots_or_insert(&mut columns);
        slots
    }

    pub fn len(&self) -> usize {
        self.columns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// The column of each slot, in slot order.
    pub fn columns(&self) -> &[u32] {
        &self.columns
    }

    /// Each slot's column and the slot, in ascending column order.
    ///
    /// Sorted by radix, 11 bits of the column at a time, as many times as the largest column
    /// needs (twice for 2^21 features): writing the notebook recipe's model, on one core once
    /// training has finished, took 2.1-2.8 ms from the finished learner to the model instead
    /// of 3.3-3.5 ms with a comparison sort of its 100,000 slots.
    pub fn by_column(&self) -> Vec<(u32, u32)> {
        const DIGIT_BITS: u32 = 11;
        let mut pairs: Vec<(u32, u32)> = (0u32..)
            .zip(&self.columns)
            .map(|(slot, &column)| (column, slot))
            .collect();
        let largest = self.columns.iter().copied().max().unwrap_or(0);
        let mut spare = vec![(0, 0); pairs.len()];
        let mut shift = 0;
        while shift < u32::BITS && largest >> shift != 0 {
            let digit = |column: u32| ((column >> shift) & ((1 << DIGIT_BITS) - 1)) as usize;
            let mut starts = [0usize; 1 << DIGIT_BITS];
            for &(column, _) in &pairs {
                starts[digit(column)] += 1;
            }
            let mut total = 0;
            for start in &mut starts {
                (*start, total) = (total, total + *start);
            }
            for &pair in &pairs {
                let at = &mut starts[digit(pair.0)];
                spare[*at] = pair;
                *at += 1;
            }
            std::mem::swap(&mut pairs, &mut spare);
            shift += DIGIT_BITS;
        }
        pairs
    }

    /// The slot of `column`, if it has one.
    #[inline]
    pub fn slot(&self, column: u32) -> Option<u32> {
        if self.table.is_empty() {
            return None;
        }
        let mask = self.table.len() - 1;
        let mut at = self.home(column);
        loop {
            match self.table[at] {
                (_, 0) => return None,
                (key, entry) if key == column => return Some(entry - 1),
                _ => at = (at + 1) & mask,
            }
        }
    }

    /// The slot of `column`, given the next free one if it has none.
    #[inline]
    pub fn slot_or_insert(&mut self, column: u32) -> u32 {
        if (self.columns.len() + 1) * 2 > self.table.len() {
            self.grow();
        }
        let mask = self.table.len() - 1;
        let mut at = self.home(column);
        loop {
            match self.table[at] {
                (_, 0) => {
                    let slot = self.columns.len() as u32;
                    self.columns.push(column);
                    self.table[at] = (column, slot + 1);
                    return slot;
                }
                (key, entry) if key == column => return entry - 1,
                _ => at = (at + 1) & mask,
            }
        }
    }

    /// Replaces each of `columns` with its slot, giving a column that has none the next free
    /// one, as [`ColumnSlots::slot_or_insert`] does one at a time.
    ///
    /// The table is larger than a core's cache, and a lookup a column spent most of its time
    /// waiting for memory: the first place each column is looked for is read for a run of
    /// columns before any is used, so the reads wait together rather than one after another.
    pub fn slots_or_insert(&mut self, columns: &mut [u32]) {
        const AHEAD: usize = 64;
        for run in columns.chunks_mut(AHEAD) {
            let mut first_looks = [(0, 0); AHEAD];
            if !self.table.is_empty() {
                for (look, &column) in first_looks.iter_mut().zip(run.iter()) {
                    *look = self.table[self.home(column)];
                }
            }
            for (column, &(key, entry)) in run.iter_mut().zip(&first_looks) {
                // A slot, once given, stays the column's whatever is inserted after the look.
                *column = if entry != 0 && key == *column {
                    entry - 1
                } else {
                    self.slot_or_insert(*column)
                };
            }
        }
    }

    /// Where `column` is looked for first: the top bits of a Fibonacci hash.
    #[inline]
    fn home(&self, column: u32) -> usize {
        let bits = self.table.len().trailing_zeros();
        (column.wrapping_mul(0x9e37_79b1) as u64 >> (32 - bits)) as usize
    }

    fn grow(&mut self) {
        let size = (self.table.len() * 2).max(16);
        // Written, not allocated zeroed: a zeroed allocation maps the zero page where a
        // lookup reads first, and the write that follows then faults again and flushes
        // every core's TLB.
        self.table = Vec::with_capacity(size);
        self.table.resize(size, (0, 0));
        let mask = size - 1;
        for (slot, &column) in self.columns.iter().enumerate() {
            let mut at = self.home(column);
            while self.table[at].1 != 0 {
                at = (at + 1) & mask;
            }
            self.table[at] = (column, slot as u32 + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_get_slots_in_arrival_order() {
        let mut slots = ColumnSlots::default();
        assert_eq!(slots.slot(7), None);
        let columns = [7, 0, u32::MAX, 1 << 20, 7, 3];
        let got: Vec<u32> = columns.iter().map(|&c| slots.slot_or_insert(c)).collect();
        assert_eq!(got, [0, 1, 2, 3, 0, 4]);
        assert_eq!(slots.columns(), [7, 0, u32::MAX, 1 << 20, 3]);
        assert_eq!(slots.slot(u32::MAX), Some(2));
        assert_eq!(slots.slot(8), None);
    }

    #[test]
    fn slots_of_many_columns_at_once_are_those_one_at_a_time() {
        let columns: Vec<u32> = (0..1000u32).map(|n| (n * 7919) % 600).collect();
        let mut at_once = ColumnSlots::default();
        let mut one_by_one = ColumnSlots::default();
        for row in columns.chunks(150) {
            let mut mapped = row.to_vec();
            at_once.slots_or_insert(&mut mapped);
            let expected: Vec<u32> = row.iter().map(|&c| one_by_one.slot_or_insert(c)).collect();
            assert_eq!(mapped, expected);
        }
        assert_eq!(at_once, one_by_one);
    }

    #[test]
    fn slots_by_column_are_sorted_whatever_the_columns_size() {
        for spread in [1u32, 1 << 11, 1 << 21, u32::MAX] {
            let columns: Vec<u32> = (0..5000u32)
                .map(|n| n.wrapping_mul(2_654_435_761) % spread)
                .collect();
            let slots = ColumnSlots::from_columns(columns.iter().copied());
            let mut expected: Vec<(u32, u32)> = (0u32..)
                .zip(slots.columns())
                .map(|(slot, &column)| (column, slot))
                .collect();
            expected.sort_unstable();
            assert_eq!(slots.by_column(), expected, "columns below {spread}");
        }
        assert_eq!(ColumnSlots::default().by_column(), []);
    }

    #[test]
    fn many_columns_survive_growth() {
        // Columns that share their low bits, the worst case for a weak hash.
        let columns: Vec<u32> = (0..50_000u32).map(|n| n << 11).collect();
        let slots = ColumnSlots::from_columns(columns.iter().copied());
        assert_eq!(slots.len(), columns.len());
        for (slot, &column) in columns.iter().enumerate() {
            assert_eq!(slots.slot(column), Some(slot as u32));
        }
        assert_eq!(slots.slot(1), None);
    }

    #[test]
    fn slots_made_at_once_equal_slots_grown_one_by_one() {
        for n in [0u32, 1, 8, 9, 1000, 1025] {
            let columns: Vec<u32> = (0..n).map(|c| c * 7919).collect();
            let mut grown = ColumnSlots::default();
            columns.iter().for_each(|&c| {
                grown.slot_or_insert(c);
            });
            assert_eq!(ColumnSlots::from_columns(columns), grown, "{n} columns");
        }
    }
}
