//! scikit-learn's `HashingVectorizer(norm='l2', alternate_sign=True)` for one text at a time.
//!
//! Hashing needs no vocabulary, so a model trained out of core and a browser that has never
//! seen the training data agree on every column. Each term's UTF-8 bytes go through signed
//! 32-bit MurmurHash3 (seed 0); the column is `|h| mod n_features`, the sign that of `h`,
//! repeated terms are summed and the row is scaled to unit L2 norm. Repeated-term sums are
//! small integers, so the result does not depend on the order in which they are added.

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
        let hash = murmur3_32_signed(term.as_bytes());
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
        self.transform_reusing(tokens, &mut Vec::new())
    }

    /// [`HashingVectorizer::transform`] with a buffer kept from text to text.
    pub fn transform_reusing(&self, tokens: &Tokens, keys: &mut Vec<u64>) -> SparseRow {
        // Each occurrence as one sortable key, `column << 1 | negative`: sorting 8-byte keys
        // is what makes the columns ascending, and it is the costliest step here.
        keys.clear();
        tokens.for_each_term(|term| {
            let (column, sign) = self.column(term);
            keys.push(u64::from(column) << 1 | u64::from(sign < 0.0));
        });
        keys.sort_unstable();

        let mut row = SparseRow {
            indices: Vec::with_capacity(keys.len()),
            values: Vec::with_capacity(keys.len()),
        };
        for &key in keys.iter() {
            let column = (key >> 1) as u32;
            let value = if key & 1 == 0 { 1.0 } else { -1.0 };
            match row.indices.last() {
                Some(&last) if last == column => {
                    if let Some(sum) = row.values.last_mut() {
                        *sum += value;
                    }
                }
                _ => {
                    row.indices.push(column);
                    row.values.push(value);
                }
            }
        }
        let squares: f64 = row.values.iter().map(|v| v * v).sum();
        if squares != 0.0 {
            let norm = squares.sqrt();
            row.values.iter_mut().for_each(|v| *v /= norm);
        }
        row
    }
}

/// scikit-learn's `murmurhash3_32(bytes, seed=0, positive=False)`: MurmurHash3's x86 32-bit
/// variant read straight from the slice, as the hot loop of training needs it.
pub fn murmur3_32_signed(bytes: &[u8]) -> i32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mix = |k: u32| k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    let mut hash: u32 = 0;
    let mut blocks = bytes.chunks_exact(4);
    for block in &mut blocks {
        let k = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        hash ^= mix(k);
        hash = hash
            .rotate_left(13)
            .wrapping_mul(5)
            .wrapping_add(0xe654_6b64);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        let k = tail
            .iter()
            .rev()
            .fold(0u32, |k, &byte| (k << 8) | u32::from(byte));
        hash ^= mix(k);
    }
    hash ^= bytes.len() as u32;
    hash ^= hash >> 16;
    hash = hash.wrapping_mul(0x85eb_ca6b);
    hash ^= hash >> 13;
    hash = hash.wrapping_mul(0xc2b2_ae35);
    hash ^= hash >> 16;
    hash as i32
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
