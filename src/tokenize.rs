//! The notebook's tokenizer, as scikit-learn runs it, with CPython's Unicode rules.
//!
//! Inside `HashingVectorizer` the text is lowercased before the notebook's `tokenizer` sees
//! it, so its `:D` and `:P` emoticons can never match; the tokenizer then strips `<[^>]*>`,
//! collects emoticons, turns each run of `\W` into a space, appends the emoticons (without
//! `-`) with no space before them, splits on white space and drops the NLTK stop words.
//!
//! Python's `\W` and `str.lower()` follow rules the `regex` crate and `str::to_lowercase` do
//! not share (combining marks split words, `²` and `½` are word characters, `İ` lowers to two
//! characters, `Σ` depends on its neighbours), so both come from tables read off CPython
//! itself by `scripts/gen_unicode_tables.py`.

mod python_unicode;

use std::cmp::Ordering;
use std::ops::Range;

use crate::config::{StopWords, TokenizerConfig};

/// NLTK's English stop-word list, in NLTK's order: the one copy in this repository.
const STOP_WORDS: &str = include_str!("tokenize/stop_words.txt");

/// The 179 words the notebook's tokenizer drops.
pub fn stop_words() -> impl Iterator<Item = &'static str> {
    STOP_WORDS.lines()
}

/// The words a tokenizer with `stop_words` drops.
pub fn dropped_words(stop_words: &StopWords) -> Vec<&str> {
    match stop_words {
        StopWords::None => Vec::new(),
        StopWords::Nltk => self::stop_words().collect(),
        StopWords::NltkKeepingNegations => self::stop_words()
            .filter(|word| !is_negation(word))
            .collect(),
        StopWords::Custom(words) => words.iter().map(String::as_str).collect(),
    }
}

/// Whether an NLTK stop word is a negation: "no", "nor", "not", or a stem that the list also
/// holds in its "n't" form ("didn" beside "didn't"), which is how "didn't" reaches the tokens.
pub fn is_negation(word: &str) -> bool {
    matches!(word, "no" | "nor" | "not")
        || stop_words().any(|stop| stop.strip_suffix("'t") == Some(word))
}

/// Splits review text into the notebook's tokens.
///
/// The notebook's two regular expressions (`<[^>]*>` and `(?::|;|=)(?:-)?(?:\)|\(|D|P)`) are
/// ASCII-only and need no backtracking, so they are matched by hand: a general regex engine
/// spent most of the training time on them.
#[derive(Clone, Debug)]
pub struct Tokenizer {
    ngram_range: (u8, u8),
    stop_words: WordSet,
}

impl Tokenizer {
    pub fn new(config: &TokenizerConfig) -> Self {
        Tokenizer {
            ngram_range: config.ngram_range,
            stop_words: WordSet::new(&dropped_words(&config.stop_words)),
        }
    }

    /// The notebook's `tokenizer(text.lower())`.
    pub fn tokenize(&self, text: &str) -> Tokens {
        let mut tokens = Tokens::default();
        self.tokenize_into(text, &mut tokens);
        tokens
    }

    /// [`Tokenizer::tokenize`] into the buffers of `tokens`, so that a loop over many texts
    /// allocates once rather than once per text.
    ///
    /// The tokens are the word runs of the lowered, tag-stripped text, kept as spans of it:
    /// Python's `re.sub('[\W]+', ' ', ...)` followed by `split()` yields exactly those runs,
    /// so the text with its separators collapsed is never built.
    pub fn tokenize_into(&self, text: &str, tokens: &mut Tokens) {
        tokens.text.clear();
        tokens.spans.clear();
        tokens.ngram_range = self.ngram_range;
        if text.is_ascii() {
            // ASCII lowers byte by byte, so stripping first and lowering the rest is the same.
            strip_html_tags_into(text, &mut tokens.text);
            tokens.text.make_ascii_lowercase();
        } else {
            strip_html_tags_into(&python_lower(text), &mut tokens.text);
        }
        let stripped_len = tokens.text.len();
        let last_run = split_words(&tokens.text, &self.stop_words, &mut tokens.spans);

        // Python appends `' '.join(emoticons)` with no separator before it, so an emoticon
        // can fuse with a last word: "nice :) film" yields the token "film:)", kept even when
        // the word alone is a stop word (no stop word holds an emoticon's characters).
        let found: Vec<Range<usize>> = emoticons(tokens.text.as_bytes()).collect();
        for (n, emoticon) in found.into_iter().enumerate() {
            if n > 0 {
                tokens.text.push(' ');
            }
            let from = tokens.text.len();
            let mut chars = [0u8; 3];
            let len = emoticon.len();
            chars[..len].copy_from_slice(&tokens.text.as_bytes()[emoticon]);
            tokens.text.extend(
                chars[..len]
                    .iter()
                    .filter(|&&b| b != b'-')
                    .map(|&b| char::from(b)),
            );
            let end = tokens.text.len();
            match last_run {
                Some(run) if n == 0 && run.1 == stripped_len => {
                    if tokens.spans.last() == Some(&run) {
                        tokens.spans.pop();
                    }
                    tokens.spans.push((run.0, end));
                }
                _ => tokens.spans.push((from, end)),
            }
        }
    }
}

impl Tokenizer {
    /// Where each of `tokens` (this tokenizer's tokens of `text`) came from in `text`: its
    /// byte ranges there, in token order (one range, or two for a last word fused with an
    /// emoticon; an emoticon's own is where it stood). For showing a person which words the
    /// model used: it keeps every byte's origin, so it is for one text, not a corpus.
    pub fn locate(&self, text: &str, tokens: &Tokens) -> Vec<Located> {
        // `origin[b]`: where in `text` the character that gave byte `b` of the lowered,
        // tag-stripped text starts. (Stripping ASCII tags before or after lowering is the same.)
        let mut lowered = String::with_capacity(text.len());
        let mut origin = Vec::with_capacity(text.len());
        if text.is_ascii() {
            lowered.push_str(&text.to_ascii_lowercase());
            origin.extend(0..text.len());
        } else {
            for (at, c) in text.char_indices() {
                if c == 'Σ' {
                    // Its form depends on its neighbours, as when a whole text is lowered.
                    lowered.push(if is_final_sigma(text, at) { 'ς' } else { 'σ' });
                } else {
                    lowered.push_str(&python_lower(&text[at..at + c.len_utf8()]));
                }
                origin.resize(lowered.len(), at);
            }
        }
        let mut stripped = String::with_capacity(lowered.len());
        let mut kept = Vec::with_capacity(lowered.len());
        for range in outside_html_tags(&lowered) {
            stripped.push_str(&lowered[range.clone()]);
            kept.extend_from_slice(&origin[range]);
        }

        // Tokens and emoticons are never empty.
        let end_of = |at: usize| at + text[at..].chars().next().map_or(0, char::len_utf8);
        let map = |range: Range<usize>| kept[range.start]..end_of(kept[range.end - 1]);
        let found: Vec<Range<usize>> = emoticons(stripped.as_bytes()).collect();
        let mut emoticon = 0;
        tokens
            .spans
            .iter()
            .map(|&(start, end)| {
                if end <= stripped.len() {
                    return Located::one(map(start..end));
                }
                let from = found.get(emoticon).cloned().map(&map);
                emoticon += 1;
                let mut located = Located::default();
                if start < stripped.len() {
                    located.push(map(start..stripped.len()));
                }
                if let Some(from) = from {
                    located.push(from);
                }
                located
            })
            .collect()
    }
}

/// Where one token came from: one byte range of the text, or two for a last word fused
/// with an emoticon. (Held in place: a list for each token was an allocation a token, and
/// allocating was a third of explaining a review.)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Located {
    ranges: [Range<usize>; 2],
    len: usize,
}

impl Located {
    fn one(range: Range<usize>) -> Located {
        let mut located = Located::default();
        located.push(range);
        located
    }

    fn push(&mut self, range: Range<usize>) {
        self.ranges[self.len] = range;
        self.len += 1;
    }
}

impl std::ops::Deref for Located {
    type Target = [Range<usize>];

    fn deref(&self) -> &[Range<usize>] {
        &self.ranges[..self.len]
    }
}

impl<'a> IntoIterator for &'a Located {
    type Item = &'a Range<usize>;
    type IntoIter = std::slice::Iter<'a, Range<usize>>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// A set of short words, looked up once per token of the corpus: a `HashSet<&str>` cost more
/// than the rest of tokenizing.
///
/// Words of up to 8 bytes (nearly all stop words) are packed into a `u64` and placed by a
/// multiplicative hash whose multiplier is searched for, when the set is built, so that no
/// two words share a slot: a lookup is then a multiply and one compare, with no branch to
/// mispredict (whether a token is a stop word is a coin toss). The few longer words are
/// compared one by one.
///
/// Packing pads with NUL bytes, so "a\0" would pass for "a"; tokens never hold a NUL, which
/// is not a word character.
#[derive(Clone, Debug)]
struct WordSet {
    /// Packed short words at their slots; 0 marks an empty slot (only a word of NUL bytes
    /// would pack to 0, and none is ever stored or looked up).
    short: Vec<u64>,
    multiplier: u64,
    /// `log2` of the number of slots.
    bits: u32,
    /// Words of 9 to 16 bytes, packed into a `u128`.
    long: Vec<u128>,
    /// Longer words, which only a list of its own holds; sorted.
    longer: Vec<Box<[u8]>>,
    len: usize,
}

impl WordSet {
    const SHORT_LEN: usize = 8;
    /// Longest word packed; NLTK's stop words are far shorter.
    const MAX_LEN: usize = 16;
    /// Multipliers tried at one table size before doubling it.
    const TRIES: u64 = 1000;

    fn new(words: &[&str]) -> Self {
        let mut short: Vec<u64> = Vec::new();
        let mut long: Vec<u128> = Vec::new();
        let mut longer: Vec<Box<[u8]>> = Vec::new();
        for word in words {
            let bytes = word.as_bytes();
            if let Some(packed) = Self::pack_short(bytes, 0..bytes.len()) {
                short.push(packed);
            } else if let Some(packed) = Self::pack_long(bytes, 0..bytes.len()) {
                long.push(packed);
            } else if !bytes.is_empty() {
                longer.push(bytes.into());
            }
        }
        short.sort_unstable();
        short.dedup();
        long.sort_unstable();
        long.dedup();
        longer.sort_unstable();
        longer.dedup();
        // A table about 16 times the number of words usually takes a few tries.
        let mut bits = (short.len() * 16)
            .next_power_of_two()
            .trailing_zeros()
            .max(1);
        let mut multiplier = 0x9e37_79b9_7f4a_7c15u64;
        loop {
            for _ in 0..Self::TRIES {
                multiplier = multiplier.wrapping_add(0x6a09_e667_f3bc_c909) | 1;
                if let Some(table) = Self::place(&short, multiplier, bits) {
                    return WordSet {
                        short: table,
                        multiplier,
                        bits,
                        len: short.len() + long.len() + longer.len(),
                        long,
                        longer,
                    };
                }
            }
            bits += 1;
        }
    }

    /// The table of `words` under `multiplier`, if no two words share a slot.
    fn place(words: &[u64], multiplier: u64, bits: u32) -> Option<Vec<u64>> {
        let mut table = vec![0; 1 << bits];
        for &word in words {
            let slot = &mut table[Self::slot(word, multiplier, bits)];
            if *slot != 0 {
                return None;
            }
            *slot = word;
        }
        Some(table)
    }

    fn slot(packed: u64, multiplier: u64, bits: u32) -> usize {
        (packed.wrapping_mul(multiplier) >> (64 - bits)) as usize
    }

    /// Packs `text[at]` if it has 1 to 8 bytes, reading a whole 8 bytes where the text has
    /// them: copying a word of variable length into place was most of the cost of a lookup.
    fn pack_short(text: &[u8], at: Range<usize>) -> Option<u64> {
        let len = at.len();
        if len == 0 || len > Self::SHORT_LEN {
            return None;
        }
        let mut packed = [0u8; Self::SHORT_LEN];
        match text.get(at.start..at.start + Self::SHORT_LEN) {
            Some(block) => packed.copy_from_slice(block),
            None => packed[..len].copy_from_slice(&text[at]),
        }
        let keep = u64::MAX >> (8 * (Self::SHORT_LEN - len));
        Some(u64::from_le_bytes(packed) & keep).filter(|&packed| packed != 0)
    }

    /// Packs `text[at]` if it has 9 to 16 bytes, reading a whole 16 bytes where the text has
    /// them, as [`WordSet::pack_short`] does.
    fn pack_long(text: &[u8], at: Range<usize>) -> Option<u128> {
        let len = at.len();
        if len <= Self::SHORT_LEN || len > Self::MAX_LEN {
            return None;
        }
        let mut packed = [0u8; Self::MAX_LEN];
        match text.get(at.start..at.start + Self::MAX_LEN) {
            Some(block) => packed.copy_from_slice(block),
            None => packed[..len].copy_from_slice(&text[at]),
        }
        let keep = u128::MAX >> (8 * (Self::MAX_LEN - len));
        Some(u128::from_le_bytes(packed) & keep)
    }

    #[cfg(test)]
    fn contains(&self, word: &str) -> bool {
        self.contains_at(word.as_bytes(), 0..word.len())
    }

    /// Whether the word `text[at]` is in the set.
    #[inline(always)]
    fn contains_at(&self, text: &[u8], at: Range<usize>) -> bool {
        if self.len == 0 {
            return false;
        }
        if let Some(packed) = Self::pack_short(text, at.clone()) {
            return self.short[Self::slot(packed, self.multiplier, self.bits)] == packed;
        }
        self.contains_long_at(text, at)
    }

    /// [`WordSet::contains_at`] for a word longer than 8 bytes, kept out of line so that
    /// the common case is inlined in the tokenizer's loop: a call for every word cost a
    /// tenth of tokenizing.
    #[inline(never)]
    fn contains_long_at(&self, text: &[u8], at: Range<usize>) -> bool {
        if let Some(packed) = Self::pack_long(text, at.clone()) {
            return self.long.contains(&packed);
        }
        let word = &text[at];
        !self.longer.is_empty() && self.longer.binary_search_by(|w| (**w).cmp(word)).is_ok()
    }
}

/// Appends the word runs of `text` (Python's `\w+` matches) that are not in `dropped` to
/// `spans`, and returns the last run, dropped or not.
///
/// Deciding byte by byte where a run ends mispredicted a branch at nearly every word
/// boundary, which cost most of tokenizing. Instead each 64-byte block becomes a mask with a
/// bit per word byte, and the runs' edges are the bits where the mask changes, visited in
/// order with `trailing_zeros`. A dropped run is pushed and taken back rather than skipped
/// with a branch, for the same reason.
fn split_words(
    text: &str,
    dropped: &WordSet,
    spans: &mut Vec<(usize, usize)>,
) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut masks = WordMasks::default();
    let mut in_word = false;
    let mut start = 0;
    let mut last_run = None;
    let mut end_run = |run: (usize, usize)| {
        spans.push(run);
        let drop = dropped.contains_at(bytes, run.0..run.1);
        spans.truncate(spans.len() - usize::from(drop));
        last_run = Some(run);
    };
    for (index, block) in bytes.chunks(64).enumerate() {
        let base = index * 64;
        let mask = masks.next(text, base, block);
        let mut edges = mask ^ (mask << 1 | u64::from(in_word));
        while edges != 0 {
            let at = base + edges.trailing_zeros() as usize;
            edges &= edges - 1;
            if in_word {
                end_run((start, at));
            } else {
                start = at;
            }
            in_word = !in_word;
        }
    }
    if in_word {
        end_run((start, text.len()));
    }
    last_run
}

/// Turns consecutive 64-byte blocks of a text into masks of its word bytes.
#[derive(Default)]
struct WordMasks {
    /// Bytes at the start of the next block that finish a character begun in this one, and
    /// whether that character is a word character.
    spill: usize,
    spill_is_word: bool,
}

impl WordMasks {
    /// The mask of `block`, which starts at byte `base` of `text`: bit `i` is set when byte
    /// `i` belongs to a word character. ASCII blocks are looked up byte by byte without a
    /// branch; a block with other characters decodes them.
    fn next(&mut self, text: &str, base: usize, block: &[u8]) -> u64 {
        let mut mask = 0u64;
        let mut all_bytes = 0u64;
        let eights = block.chunks_exact(8);
        let tail_at = block.len() - eights.remainder().len();
        for (k, eight) in eights.enumerate() {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(eight);
            let word = u64::from_le_bytes(bytes);
            mask |= u64::from(ascii_word_bits(word)) << (8 * k);
            all_bytes |= word;
        }
        for (i, &byte) in block.iter().enumerate().skip(tail_at) {
            mask |= u64::from(ASCII_WORD[usize::from(byte & 0x7f)]) << i;
            all_bytes |= u64::from(byte);
        }
        if all_bytes & 0x8080_8080_8080_8080 == 0 {
            return mask;
        }
        let mut i = self.spill.min(block.len());
        let mut mask = if self.spill_is_word { bits(0..i) } else { 0 };
        while i < block.len() {
            let byte = block[i];
            if byte.is_ascii() {
                mask |= u64::from(ASCII_WORD[usize::from(byte)]) << i;
                i += 1;
                continue;
            }
            // `i` is where a character starts: steps are whole characters.
            let Some(c) = text[base + i..].chars().next() else {
                break;
            };
            let end = i + c.len_utf8();
            self.spill_is_word = is_word(c);
            if self.spill_is_word {
                mask |= bits(i..end.min(block.len()));
            }
            i = end;
        }
        self.spill = i - block.len();
        mask
    }
}

/// Bit `i` set when byte `i` of eight ASCII bytes is a word character, all eight tested at
/// once: a byte lies in `lo..=hi` when adding `0x80 - lo` sets its top bit and adding
/// `0x7f - hi` does not (no byte below `0x80` carries into the next). Other bytes give
/// meaningless bits, which the caller throws away.
fn ascii_word_bits(bytes: u64) -> u8 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let within = |lo: u8, hi: u8| {
        let at_least_lo = bytes.wrapping_add(ONES * u64::from(0x80 - lo));
        let above_hi = bytes.wrapping_add(ONES * u64::from(0x7f - hi));
        at_least_lo & !above_hi & TOPS
    };
    let words = within(b'0', b'9') | within(b'a', b'z') | within(b'A', b'Z') | within(b'_', b'_');
    // Gathers the eight top bits into one byte.
    ((words >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u8
}

/// A mask with the bits of `range` set.
fn bits(range: Range<usize>) -> u64 {
    range.fold(0, |mask, bit| mask | 1 << bit)
}

/// Which ASCII bytes are word characters: `[0-9A-Za-z_]`.
const ASCII_WORD: [bool; 128] = {
    let mut table = [false; 128];
    let mut byte = 0;
    while byte < 128 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || b == b'_';
        byte += 1;
    }
    table
};

/// `re.sub('<[^>]*>', '', text)` appended to `out`.
fn strip_html_tags_into(text: &str, out: &mut String) {
    for range in outside_html_tags(text) {
        out.push_str(&text[range]);
    }
}

/// The byte ranges of `text` that `re.sub('<[^>]*>', '', text)` keeps, in order: each `<` up
/// to the first `>` after it goes; a `<` with no `>` after it stays, and so does everything
/// after it. The ranges are whole characters, since `<` and `>` are ASCII.
///
/// `memchr` finds the brackets: with `str::find`, the trainer took 6% longer over the
/// notebook's 45,000 rows (medians of 21 runs side by side: 0.2179 against 0.2046 s).
fn outside_html_tags(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let bytes = text.as_bytes();
    let mut rest = Some(0);
    std::iter::from_fn(move || {
        let from = rest?;
        let tag = memchr::memchr(b'<', &bytes[from..]).and_then(|open| {
            let close = memchr::memchr(b'>', &bytes[from + open..])?;
            Some((from + open, from + open + close + 1))
        });
        Some(match tag {
            Some((open, after)) => {
                rest = Some(after);
                from..open
            }
            None => {
                rest = None;
                from..bytes.len()
            }
        })
    })
}

/// `re.findall('(?::|;|=)(?:-)?(?:\)|\(|D|P)', text)`: leftmost, non-overlapping, the
/// optional nose taken when it leads to a match. Yields where each match is.
///
/// Emoticons are rare, so the eyes are looked for with `memchr3`, many bytes at a time.
fn emoticons(text: &[u8]) -> impl Iterator<Item = Range<usize>> + '_ {
    let is_mouth = |b: Option<&u8>| matches!(b, Some(b')' | b'(' | b'D' | b'P'));
    let mut at = 0;
    std::iter::from_fn(move || {
        while let Some(found) = memchr::memchr3(b':', b';', b'=', &text[at..]) {
            let start = at + found;
            at = start + 1;
            let len = if text.get(start + 1) == Some(&b'-') && is_mouth(text.get(start + 2)) {
                3
            } else if is_mouth(text.get(start + 1)) {
                2
            } else {
                continue;
            };
            at = start + len;
            return Some(start..at);
        }
        None
    })
}

/// The tokens of one text, and the n-gram terms built from them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tokens {
    text: String,
    spans: Vec<(usize, usize)>,
    ngram_range: (u8, u8),
}

impl Tokens {
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.spans
            .iter()
            .map(|&(start, end)| &self.text[start..end])
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Calls `f` with every term scikit-learn's `_word_ngrams` makes of these tokens, in its
    /// order: the tokens themselves (when the range starts at 1), then each longer n-gram
    /// joined by single spaces.
    pub fn for_each_term(&self, mut f: impl FnMut(&str)) {
        self.for_each_term_with_tokens(|term, _| f(term));
    }

    /// [`Tokens::for_each_term`] with each term given as the spans of its tokens in one text
    /// (start and end bytes), for a caller that can read them in place: building the joined
    /// strings was a third of vectorizing with bigrams.
    pub fn for_each_term_spans(&self, mut f: impl FnMut(&[u8], &[(usize, usize)])) {
        let (min_n, max_n) = (
            usize::from(self.ngram_range.0),
            usize::from(self.ngram_range.1),
        );
        for n in min_n.max(1)..=max_n.min(self.len()) {
            for window in self.spans.windows(n) {
                f(self.text.as_bytes(), window);
            }
        }
    }

    /// [`Tokens::for_each_term`] with the tokens each term is made of (a range of indexes
    /// into [`Tokens::iter`]).
    pub fn for_each_term_with_tokens(&self, mut f: impl FnMut(&str, Range<usize>)) {
        let (min_n, max_n) = (
            usize::from(self.ngram_range.0),
            usize::from(self.ngram_range.1),
        );
        if min_n <= 1 {
            for (at, token) in self.iter().enumerate() {
                f(token, at..at + 1);
            }
        }
        let mut gram = String::new();
        for n in min_n.max(2)..=max_n.min(self.len()) {
            for (at, window) in self.spans.windows(n).enumerate() {
                gram.clear();
                for (k, &(start, end)) in window.iter().enumerate() {
                    if k > 0 {
                        gram.push(' ');
                    }
                    gram.push_str(&self.text[start..end]);
                }
                f(&gram, at..at + n);
            }
        }
    }

    /// All terms as owned strings, for callers that want to look at them.
    pub fn terms(&self) -> Vec<String> {
        let mut terms = Vec::new();
        self.for_each_term(|term| terms.push(term.to_owned()));
        terms
    }
}

/// CPython's `str.lower()`.
pub fn python_lower(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    // A review with one accented letter is nearly all ASCII: its runs of ASCII are copied
    // and lowered whole, as an ASCII review is (character by character, lowering the tenth of
    // the notebook's reviews that are not ASCII took 3% of training's CPU time).
    while at < text.len() {
        let run_end = at + ascii_prefix_len(&text.as_bytes()[at..]);
        let from = out.len();
        out.push_str(&text[at..run_end]);
        out[from..].make_ascii_lowercase();
        at = run_end;
        let Some(c) = text[at..].chars().next() else {
            break;
        };
        match c {
            'Σ' => out.push(if is_final_sigma(text, at) { 'ς' } else { 'σ' }),
            'İ' => out.push_str("i\u{307}"),
            _ => out.push(lower_char(c)),
        }
        at += c.len_utf8();
    }
    out
}

/// How many bytes `bytes` starts with that are ASCII, tested eight at a time.
fn ascii_prefix_len(bytes: &[u8]) -> usize {
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let eights = bytes.chunks_exact(8);
    let tail = eights.remainder();
    for (k, eight) in eights.enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(eight);
        let high = u64::from_le_bytes(word) & TOPS;
        if high != 0 {
            return 8 * k + high.trailing_zeros() as usize / 8;
        }
    }
    let checked = bytes.len() - tail.len();
    checked + tail.iter().take_while(|b| b.is_ascii()).count()
}

/// CPython's `handle_capital_sigma`: a capital sigma lowers to the final form when a cased
/// character precedes it and none follows, case-ignorable characters skipped both ways.
fn is_final_sigma(text: &str, at: usize) -> bool {
    let is_cased = |c: char| in_table(&python_unicode::CASED, c);
    let before = text[..at].chars().rev().find(|&c| !is_case_ignorable(c));
    if !before.is_some_and(is_cased) {
        return false;
    }
    let after = text[at + 'Σ'.len_utf8()..]
        .chars()
        .find(|&c| !is_case_ignorable(c));
    !after.is_some_and(is_cased)
}

fn is_case_ignorable(c: char) -> bool {
    in_table(&python_unicode::CASE_IGNORABLE, c)
}

fn lower_char(c: char) -> char {
    let code = u32::from(c);
    python_unicode::LOWER
        .binary_search_by_key(&code, |&(from, _)| from)
        .ok()
        .and_then(|at| char::from_u32(python_unicode::LOWER[at].1))
        .unwrap_or(c)
}

/// Python's `re` word character for `str` patterns: `isalnum()` or `_`.
pub fn is_word(c: char) -> bool {
    if c.is_ascii() {
        ASCII_WORD[c as usize]
    } else {
        in_table(&python_unicode::WORD, c)
    }
}

fn in_table(ranges: &[(u32, u32)], c: char) -> bool {
    let code = u32::from(c);
    ranges
        .binary_search_by(|&(low, high)| {
            if high < code {
                Ordering::Less
            } else if low > code {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        })
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn tokens(text: &str) -> Vec<String> {
        let tokenizer = Tokenizer::new(&Config::notebook().tokenizer);
        tokenizer.tokenize(text).iter().map(str::to_owned).collect()
    }

    #[test]
    fn strips_html_and_stop_words() {
        assert_eq!(
            tokens("This is <b>GREAT</b>!<br />A film"),
            ["great", "film"]
        );
    }

    #[test]
    fn emoticons_fuse_with_a_last_word_as_in_python() {
        assert_eq!(tokens("nice :) film"), ["nice", "film:)"]);
        assert_eq!(tokens("nice :) film :-("), ["nice", "film", ":)", ":("]);
        assert_eq!(tokens("bad :D"), ["bad"]);
        // The fused token is kept even where the word alone is a stop word.
        assert_eq!(tokens(":) it"), ["it:)"]);
        assert_eq!(tokens("great :-( the"), ["great", "the:("]);
    }

    #[test]
    fn tags_and_emoticons_follow_the_notebooks_patterns() {
        let mut stripped = String::new();
        strip_html_tags_into("a<b <c>d>e<f", &mut stripped);
        assert_eq!(stripped, "ad>e<f");
        let matched = |text: &'static [u8]| -> Vec<&[u8]> {
            emoticons(text).map(|range| &text[range]).collect()
        };
        let found = matched(b":-) ;( =-x :-:P =D;-(");
        assert_eq!(found, [&b":-)"[..], b";(", b":P", b"=D", b";-("]);
        // Far apart, at the very end, and eyes with no mouth at the end.
        let found = matched(b"abcdefgh:)ijklmnop qrstuv:-(wxyz 0123456;P");
        assert_eq!(found, [&b":)"[..], b":-(", b";P"]);
        let long = [&[b'x'; 100][..], b":D", &[b'y'; 70], b";-"].concat();
        assert!(emoticons(&long).eq(std::iter::once(100..102)));
    }

    #[test]
    fn word_runs_match_a_character_by_character_reading() {
        // Words and separators of 1 to 4 bytes, many texts long enough to cross several
        // 64-byte blocks at every alignment.
        let pieces = [
            "a", "Z", "_", "7", " ", "-", "é", "²", "\u{301}", "中", "—", "😀", "𝟘",
        ];
        let mut state = 12345u32;
        for _ in 0..2000 {
            let mut text = String::new();
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            for _ in 0..(state >> 16) % 200 {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                text.push_str(pieces[(state >> 16) as usize % pieces.len()]);
            }
            let mut spans = Vec::new();
            split_words(&text, &WordSet::new(&[]), &mut spans);
            let found: Vec<&str> = spans.iter().map(|&(s, e)| &text[s..e]).collect();
            let expected: Vec<&str> = text
                .split(|c| !is_word(c))
                .filter(|w| !w.is_empty())
                .collect();
            assert_eq!(found, expected, "{text:?}");
        }
    }

    #[test]
    fn python_unicode_rules() {
        assert_eq!(python_lower("ΣΑΣ"), "σας");
        assert_eq!(python_lower("İ"), "i\u{307}");
        // ASCII runs of every length around the eight bytes tested at once.
        assert_eq!(
            python_lower("A Café IN PARIS, ÉTÉ 1999: THE ODYSSEY OF ΟΔΟΣ. Σ"),
            "a café in paris, été 1999: the odyssey of οδος. σ"
        );
        for len in 0..20 {
            let text = format!(
                "{}É{}",
                "AB".repeat(len).get(..len).unwrap_or(""),
                "Z".repeat(len)
            );
            assert_eq!(python_lower(&text), text.to_lowercase(), "{text:?}");
            assert_eq!(ascii_prefix_len(text.as_bytes()), len);
        }
        assert!(is_word('²') && is_word('½') && !is_word('\u{301}'));
    }

    #[test]
    fn tokens_are_located_in_the_text_they_came_from() {
        let tokenizer = Tokenizer::new(&TokenizerConfig {
            stop_words: StopWords::Nltk,
            ngram_range: (1, 1),
        });
        let pieces = |text: &str| -> Vec<Vec<String>> {
            let located = tokenizer.locate(text, &tokenizer.tokenize(text));
            assert_eq!(located.len(), tokenizer.tokenize(text).len());
            located
                .iter()
                .map(|ranges| ranges.iter().map(|r| text[r.clone()].to_owned()).collect())
                .collect()
        };
        // "İ" lowers to "i" and a combining dot, which is not a word character; "i" is a
        // stop word.
        assert_eq!(
            pieces("<b>İstanbul</b> ΣΑΣ was GREAT film :-)"),
            [["stanbul"], ["ΣΑΣ"], ["GREAT"], ["film"], [":-)"]]
        );
        // A text that ends in a word fuses it with the first emoticon: "film:)".
        assert_eq!(pieces("Nice :) film"), [vec!["Nice"], vec!["film", ":)"]]);
    }

    #[test]
    fn a_list_of_its_own_drops_its_words_whatever_their_length() {
        let config = TokenizerConfig {
            stop_words: StopWords::Custom(vec![
                "film".into(),
                "extraordinarily".into(),
                "supercalifragilistic".into(),
            ]),
            ngram_range: (1, 1),
        };
        let tokens =
            Tokenizer::new(&config).tokenize("The film was extraordinarily supercalifragilistic!");
        let words: Vec<&str> = tokens.iter().collect();
        assert_eq!(words, ["the", "was"]);
    }

    #[test]
    fn the_stop_word_list_is_nltks() {
        assert_eq!(stop_words().count(), 179);
        assert_eq!(stop_words().next(), Some("i"));
        let words: Vec<&str> = stop_words().collect();
        let set = WordSet::new(&words);
        assert!(words.iter().all(|word| set.contains(word)));
        let others = [
            "film",
            "nots",
            "no ",
            "",
            "themselve",
            "themselvesthemselves",
            "\u{0}",
            "\u{0}\u{0}",
        ];
        for other in others {
            assert!(!set.contains(other), "{other:?}");
        }
        assert_eq!(WordSet::new(&[]).len, 0);
    }

    #[test]
    fn negations_can_be_kept() {
        let tokenizer = Tokenizer::new(&TokenizerConfig {
            stop_words: StopWords::NltkKeepingNegations,
            ngram_range: (1, 1),
        });
        let tokens = tokenizer.tokenize("It is not good, I didn't like it");
        let words: Vec<&str> = tokens.iter().collect();
        assert_eq!(words, ["not", "good", "didn", "like"]);

        let keep_all = Tokenizer::new(&TokenizerConfig {
            stop_words: StopWords::None,
            ngram_range: (1, 1),
        });
        let tokens = keep_all.tokenize("It is not good");
        assert_eq!(
            tokens.iter().collect::<Vec<_>>(),
            ["it", "is", "not", "good"]
        );
    }

    #[test]
    fn bigrams_follow_unigrams() {
        let tokenizer = Tokenizer::new(&TokenizerConfig {
            stop_words: StopWords::Nltk,
            ngram_range: (1, 2),
        });
        let terms = tokenizer.tokenize("a great great film").terms();
        assert_eq!(
            terms,
            ["great", "great", "film", "great great", "great film"]
        );
    }
}
