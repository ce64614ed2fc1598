//! scikit-learn's `HashingVectorizer(norm='l2', alternate_sign=True)` for one text at a time.
//!
//! Hashing needs no vocabulary, so a model trained out of core and a browser that has never
//! seen the training data agree on every column. Each term's UTF-8 bytes go through signed
//! 32-bit MurmurHash3 (seed 0); the column is `|h| mod n_features`, the sign that of `h`,
//! repeated terms are summed and the row is scaled to unit L2 norm. Repeated-term sums are
//! small integers, so the result does not depend on the order in which they are added.

use std::ops::Range;

use crate::tokenize::Tokens;

/// One hashed, L2-normalised row: columns ascending, each once.
///
/// Columns whose terms cancelled out keep an explicit 0.0, as scipy's `sum_duplicates` does.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SparseRow {
    pub indices: Vec<u32>,
    pub values: Vec<f64>,
}

impl SparseRow {
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (u32, f64)> + '_ {
        self.indices
            .iter()
            .copied()
            .zip(self.values.iter().copied())
    }
}

/// Maps terms to columns of a space of `n_features` columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashingVectorizer {
    n_features: u32,
}

impl HashingVectorizer {
    /// # Panics
    /// If `n_features` is 0: the configuration that carries it is validated before use.
    pub fn new(n_features: u32) -> Self {
        assert!(n_features > 0, "a feature space needs at least one column");
        HashingVectorizer { n_features }
    }

    pub fn n_features(&self) -> u32 {
        self.n_features
    }

    /// The column of a term and the sign its occurrence adds there.
    pub fn column(&self, term: &str) -> (u32, f64) {
        self.column_of_hash(murmur3_32_signed(term.as_bytes()))
    }

    /// [`HashingVectorizer::column`] of the n-gram of the tokens at `spans` of `text`, joined
    /// by single spaces.
    pub fn column_of_spans(&self, text: &[u8], spans: &[(usize, usize)]) -> (u32, f64) {
        let hash = match spans {
            &[(start, end)] => murmur3_32_signed_within(text, start..end),
            _ => {
                let mut hasher = Murmur3::default();
                for (k, &(start, end)) in spans.iter().enumerate() {
                    if k > 0 {
                        hasher.write(b" ");
                    }
                    hasher.write(&text[start..end]);
                }
                hasher.finish()
            }
        };
        self.column_of_hash(hash)
    }

    fn column_of_hash(&self, hash: i32) -> (u32, f64) {
        // |i32::MIN| is 2^31, which scikit-learn takes modulo n_features by a detour; in 64 bits
        // it needs none.
        let magnitude = i64::from(hash).unsigned_abs();
        let n_features = u64::from(self.n_features);
        // A division per term was a fifth of vectorizing; the usual 2^k columns need none.
        let column = if n_features.is_power_of_two() {
            magnitude & (n_features - 1)
        } else {
            magnitude % n_features
        };
        let sign = if hash >= 0 { 1.0 } else { -1.0 };
        (column as u32, sign)
    }

    /// `HashingVectorizer.transform([text])` for the tokens of one text.
    pub fn transform(&self, tokens: &Tokens) -> SparseRow {
        self.transform_reusing(tokens, &mut Keys::default())
    }

    /// [`HashingVectorizer::transform`] with buffers kept from text to text.
    pub fn transform_reusing(&self, tokens: &Tokens, keys: &mut Keys) -> SparseRow {
        keys.keys.clear();
        tokens.for_each_term_spans(|text, spans| {
            let (column, sign) = self.column_of_spans(text, spans);
            keys.push(column, sign);
        });
        self.row_of(keys)
    }

    /// The row of the term occurrences in `keys`, each [`Keys::push`]ed with its
    /// [`HashingVectorizer::column`]: what [`HashingVectorizer::transform`] gives for the text
    /// they came from.
    pub fn row_of(&self, keys: &mut Keys) -> SparseRow {
        let key_bits = 33 - (self.n_features - 1).max(1).leading_zeros();
        keys.sort(key_bits);
        let keys = &keys.keys;

        // Every key is written, over the last column when it repeats it: whether a term
        // repeats is a coin toss, and the branch on it took 8% of vectorizing's time.
        // A column not yet written holds 0.0, so adding to it starts a sum.
        let mut row = SparseRow {
            indices: vec![0; keys.len()],
            values: vec![0.0; keys.len()],
        };
        let mut len = 0;
        for &key in keys.iter() {
            let column = key >> 1;
            let value = 1.0 - 2.0 * f64::from(key & 1);
            let repeats = len > 0 && row.indices[len - 1] == column;
            let at = len - usize::from(repeats);
            row.indices[at] = column;
            row.values[at] += value;
            len = at + 1;
        }
        row.indices.truncate(len);
        row.values.truncate(len);
        let squares: f64 = row.values.iter().map(|v| v * v).sum();
        if squares != 0.0 {
            let norm = squares.sqrt();
            row.values.iter_mut().for_each(|v| *v /= norm);
        }
        row
    }
}

/// The buffers of [`HashingVectorizer::transform_reusing`]: one key a term, and room to sort
/// them.
#[derive(Clone, Debug, Default)]
pub struct Keys {
    keys: Vec<u32>,
    spare: Vec<u32>,
    counts: Vec<u32>,
}

impl Keys {
    /// One occurrence of a term, as one sortable key, `column << 1 | negative`: sorting the
    /// keys is what makes the columns ascending.
    pub fn push(&mut self, column: u32, sign: f64) {
        self.keys.push(column << 1 | u32::from(sign < 0.0));
    }

    /// Rows shorter than this are sorted by comparison: a counting pass costs a table of
    /// counts.
    const COUNTING_FROM: usize = 32;
    /// Rows up to this long are sorted by one counting pass and insertion; longer ones by
    /// radix passes, which cost the same whatever the keys.
    const INSERTING_UP_TO: usize = 256;
    /// The widest digit a radix pass sorts by. Clearing and summing a table of 2^11 counts
    /// cost more than sorting a row's few hundred keys: on random 22-bit keys, three passes
    /// over 8-bit digits sorted 128 keys in 525 ns where two over 11-bit digits took 1,325 ns,
    /// and 300 keys in 994 against 1,669 ns (by comparison: 683 and 1,809 ns).
    const MAX_DIGIT_BITS: u32 = 8;

    /// Sorts the keys, each below 2^`bits`. Sorting was a fifth of vectorizing a review by
    /// comparison; radix passes take half as long from about a hundred keys, and one
    /// counting pass followed by insertion less again below a few hundred.
    fn sort(&mut self, bits: u32) {
        let len = self.keys.len();
        if len < Self::COUNTING_FROM {
            self.keys.sort_unstable();
            return;
        }
        if len <= Self::INSERTING_UP_TO {
            self.count_and_insert(bits);
            return;
        }
        let passes = bits.div_ceil(Self::MAX_DIGIT_BITS);
        let digit_bits = bits.div_ceil(passes);
        for pass in 0..passes {
            self.counting_pass(pass * digit_bits, digit_bits);
        }
    }

    /// Orders the keys stably by their `digit_bits` bits from bit `shift` up: counts them,
    /// sums the counts into where each digit's keys start, and places every key there.
    fn counting_pass(&mut self, shift: u32, digit_bits: u32) {
        let mask = (1u32 << digit_bits) - 1;
        self.spare.resize(self.keys.len(), 0);
        self.counts.clear();
        self.counts.resize(1 << digit_bits, 0);
        for &key in &self.keys {
            self.counts[((key >> shift) & mask) as usize] += 1;
        }
        let mut start = 0;
        for count in &mut self.counts {
            let next = start + *count;
            *count = start;
            start = next;
        }
        for &key in &self.keys {
            let at = &mut self.counts[((key >> shift) & mask) as usize];
            self.spare[*at as usize] = key;
            *at += 1;
        }
        std::mem::swap(&mut self.keys, &mut self.spare);
    }

    /// Sorts a row of up to [`Keys::INSERTING_UP_TO`] keys: one counting pass by their top
    /// bits, into a table of two to four buckets a key, puts each in its bucket, and an
    /// insertion sort orders the few that share one (however crowded a bucket, insertion
    /// moves each of so few keys at most that many places). On random 22-bit keys this took
    /// 390 ns for 128 keys where three radix passes over 8-bit digits took 645 ns.
    fn count_and_insert(&mut self, bits: u32) {
        let len = self.keys.len();
        let digit_bits = (usize::BITS - len.leading_zeros() + 1).min(bits);
        self.counting_pass(bits - digit_bits, digit_bits);
        let keys = &mut self.keys;
        for i in 1..len {
            let key = keys[i];
            let mut at = i;
            while at > 0 && keys[at - 1] > key {
                keys[at] = keys[at - 1];
                at -= 1;
            }
            keys[at] = key;
        }
    }
}

const C1: u32 = 0xcc9e_2d51;
const C2: u32 = 0x1b87_3593;

fn mix(k: u32) -> u32 {
    k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2)
}

fn mix_block(hash: u32, k: u32) -> u32 {
    (hash ^ mix(k))
        .rotate_left(13)
        .wrapping_mul(5)
        .wrapping_add(0xe654_6b64)
}

fn finalize(mut hash: u32, len: u32) -> i32 {
    hash ^= len;
    hash ^= hash >> 16;
    hash = hash.wrapping_mul(0x85eb_ca6b);
    hash ^= hash >> 13;
    hash = hash.wrapping_mul(0xc2b2_ae35);
    hash ^= hash >> 16;
    hash as i32
}

/// scikit-learn's `murmurhash3_32(bytes, seed=0, positive=False)`: MurmurHash3's x86 32-bit
/// variant read straight from the slice, as the hot loop of training needs it.
pub fn murmur3_32_signed(bytes: &[u8]) -> i32 {
    murmur3_32_signed_within(bytes, 0..bytes.len())
}

/// [`murmur3_32_signed`] of `text[range]`, whose last one to three bytes are read as one
/// word where `text` goes on past them: a token's length is a coin toss, and a loop over
/// them mispredicted its end.
fn murmur3_32_signed_within(text: &[u8], range: Range<usize>) -> i32 {
    let bytes = &text[range.clone()];
    let mut hash: u32 = 0;
    let mut blocks = bytes.chunks_exact(4);
    for block in &mut blocks {
        hash = mix_block(
            hash,
            u32::from_le_bytes([block[0], block[1], block[2], block[3]]),
        );
    }
    let tail = blocks.remainder();
    let tail_at = range.end - tail.len();
    let k = match text.get(tail_at..tail_at + 4) {
        Some(&[a, b, c, d]) => {
            let keep = (1u64 << (8 * tail.len())) - 1;
            u32::from_le_bytes([a, b, c, d]) & keep as u32
        }
        _ => tail
            .iter()
            .rev()
            .fold(0u32, |k, &byte| (k << 8) | u32::from(byte)),
    };
    // An empty tail adds nothing: mix(0) is 0.
    hash ^= mix(k);
    finalize(hash, bytes.len() as u32)
}

/// [`murmur3_32_signed`] of bytes that arrive in pieces: the same hash as of the pieces
/// joined, without joining them.
#[derive(Clone, Copy, Debug, Default)]
struct Murmur3 {
    hash: u32,
    /// Bytes of an unfinished 4-byte block, little-endian, and how many.
    carry: u32,
    carried: u32,
    len: u32,
}

impl Murmur3 {
    fn write(&mut self, mut bytes: &[u8]) {
        self.len = self.len.wrapping_add(bytes.len() as u32);
        while self.carried > 0 && !bytes.is_empty() {
            self.carry |= u32::from(bytes[0]) << (8 * self.carried);
            self.carried += 1;
            bytes = &bytes[1..];
            if self.carried == 4 {
                self.hash = mix_block(self.hash, self.carry);
                self.carry = 0;
                self.carried = 0;
            }
        }
        let mut blocks = bytes.chunks_exact(4);
        for block in &mut blocks {
            let k = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
            self.hash = mix_block(self.hash, k);
        }
        for &byte in blocks.remainder() {
            self.carry |= u32::from(byte) << (8 * self.carried);
            self.carried += 1;
        }
    }

    fn finish(self) -> i32 {
        let hash = if self.carried > 0 {
            self.hash ^ mix(self.carry)
        } else {
            self.hash
        };
        finalize(hash, self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::tokenize::Tokenizer;

    #[test]
    fn murmur3_matches_scikit_learn() {
        // Values printed by sklearn.utils.murmurhash3_32(s, seed=0).
        assert_eq!(murmur3_32_signed(b""), 0);
        assert_eq!(murmur3_32_signed(b"foo"), -156908512);
        assert_eq!(murmur3_32_signed(b"great"), 198527388);
        // Tails of one, two and three bytes, alone and after a block.
        assert_eq!(murmur3_32_signed(b"a"), 1009084850);
        assert_eq!(murmur3_32_signed(b"hello"), 613153351);
        assert_eq!(murmur3_32_signed(b"ab"), -1681926305);
        assert_eq!(murmur3_32_signed(b"abc"), -1277324294);
        assert_eq!(murmur3_32_signed(b"movies"), -1106625755);
        assert_eq!(murmur3_32_signed(b"reviews"), 1963969794);
    }

    #[test]
    fn a_term_hashes_the_same_read_within_a_longer_text() {
        let text = b"the quick brown fox jumps over";
        for start in 0..text.len() {
            for end in start..=text.len() {
                assert_eq!(
                    murmur3_32_signed_within(text, start..end),
                    murmur3_32_signed(&text[start..end]),
                    "{start}..{end}"
                );
            }
        }
    }

    #[test]
    fn keys_sort_by_counting_and_radix_as_by_comparison() {
        let mut state = 7u32;
        for len in [0, 5, 31, 32, 33, 128, 256, 257, 1000] {
            for bits in [4, 12, 22, 25] {
                let mut keys = Keys::default();
                for _ in 0..len {
                    state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    keys.keys.push(state >> (32 - bits));
                }
                let mut expected = keys.keys.clone();
                expected.sort_unstable();
                keys.sort(bits);
                assert_eq!(keys.keys, expected, "{len} keys of {bits} bits");
            }
        }
        // Keys crowded into the first bucket, as a crafted text could make them.
        let mut keys = Keys::default();
        keys.keys.extend((0..256u32).rev().map(|k| k * 3 % 1024));
        let mut expected = keys.keys.clone();
        expected.sort_unstable();
        keys.sort(22);
        assert_eq!(keys.keys, expected);
    }

    #[test]
    fn pieces_hash_as_their_join() {
        let words = ["", "a", "ab", "abc", "abcd", "abcde", "ünï", "film:)"];
        for first in words {
            for second in words {
                for third in words {
                    let joined = format!("{first} {second} {third}");
                    let mut hasher = Murmur3::default();
                    hasher.write(first.as_bytes());
                    hasher.write(b" ");
                    hasher.write(second.as_bytes());
                    hasher.write(b" ");
                    hasher.write(third.as_bytes());
                    assert_eq!(
                        hasher.finish(),
                        murmur3_32_signed(joined.as_bytes()),
                        "{joined:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn rows_are_unit_length_and_sorted() {
        let tokenizer = Tokenizer::new(&Config::notebook().tokenizer);
        let vectorizer = HashingVectorizer::new(1 << 21);
        let row = vectorizer.transform(&tokenizer.tokenize("great great film, awful ending"));
        assert!(row.indices.windows(2).all(|pair| pair[0] < pair[1]));
        let norm: f64 = row.values.iter().map(|v| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-12);
        assert!(vectorizer.transform(&tokenizer.tokenize("")).is_empty());
    }
}
