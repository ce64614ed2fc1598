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

use crate::config::{StopWords, TokenizerConfig};

/// NLTK's English stop-word list, in NLTK's order: the one copy in this repository.
const STOP_WORDS: &str = include_str!("tokenize/stop_words.txt");

/// The 179 words the notebook's tokenizer drops.
pub fn stop_words() -> impl Iterator<Item = &'static str> {
    STOP_WORDS.lines()
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
        let dropped: Vec<&str> = match config.stop_words {
            StopWords::None => Vec::new(),
            StopWords::Nltk => stop_words().collect(),
            StopWords::NltkKeepingNegations => {
                stop_words().filter(|word| !is_negation(word)).collect()
            }
        };
        Tokenizer {
            ngram_range: config.ngram_range,
            stop_words: WordSet::new(&dropped),
        }
    }

    /// The notebook's `tokenizer(text.lower())`.
    pub fn tokenize(&self, text: &str) -> Tokens {
        let lower = python_lower(text);
        let stripped = strip_html_tags(&lower);

        // Runs of word characters are copied whole and each run of other characters becomes
        // one space, as `re.sub('[\W]+', ' ', text)` does; each run is a token, recorded as
        // it is copied.
        let mut normalized = String::with_capacity(stripped.len() + 8);
        let mut spans: Vec<(usize, usize)> = Vec::with_capacity(stripped.len() / 6);
        let bytes = stripped.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            let run_start = at;
            at = skip_while_word(&stripped, at, true);
            if at > run_start {
                let from = normalized.len();
                normalized.push_str(&stripped[run_start..at]);
                spans.push((from, normalized.len()));
            }
            let separator_start = at;
            at = skip_while_word(&stripped, at, false);
            if at > separator_start {
                normalized.push(' ');
            } else if at == run_start {
                break;
            }
        }
        // Python appends `' '.join(emoticons)` with no separator before it, so an emoticon
        // can fuse with a last word: "nice :) film" yields the token "film:)".
        for (n, emoticon) in emoticons(stripped.as_bytes()).enumerate() {
            if n > 0 {
                normalized.push(' ');
            }
            let from = normalized.len();
            normalized.extend(
                emoticon
                    .iter()
                    .filter(|&&b| b != b'-')
                    .map(|&b| char::from(b)),
            );
            match spans.last_mut() {
                Some(last) if n == 0 && last.1 == from => last.1 = normalized.len(),
                _ => spans.push((from, normalized.len())),
            }
        }
        if !self.stop_words.is_empty() {
            spans.retain(|&(start, end)| !self.is_stop_word(&normalized[start..end]));
        }
        Tokens {
            text: normalized,
            spans,
            ngram_range: self.ngram_range,
        }
    }

    fn is_stop_word(&self, word: &str) -> bool {
        self.stop_words.contains(word)
    }
}

/// A set of short words (at most 16 bytes), each packed into one `u128` and kept in an
/// open-addressing table: looking up every token of the corpus in a `HashSet<&str>` cost more
/// than the rest of tokenizing, and here a lookup is one multiply and usually one compare.
#[derive(Clone, Debug)]
struct WordSet {
    /// Packed words; 0 marks an empty slot (only a word of NUL bytes packs to 0, and no
    /// token holds one).
    slots: Vec<u128>,
    len: usize,
}

impl WordSet {
    /// Longer words cannot be packed; every stop word is far shorter.
    const MAX_LEN: usize = 16;

    fn new(words: &[&str]) -> Self {
        let mut set = WordSet {
            slots: vec![0; (words.len() * 4).next_power_of_two().max(1)],
            len: 0,
        };
        for word in words.iter().filter_map(|word| Self::pack(word)) {
            let mut slot = set.slot_of(word);
            while set.slots[slot] != 0 && set.slots[slot] != word {
                slot = (slot + 1) & (set.slots.len() - 1);
            }
            if set.slots[slot] == 0 {
                set.slots[slot] = word;
                set.len += 1;
            }
        }
        set
    }

    fn pack(word: &str) -> Option<u128> {
        let bytes = word.as_bytes();
        if bytes.is_empty() || bytes.len() > Self::MAX_LEN {
            return None;
        }
        let mut packed = [0u8; Self::MAX_LEN];
        packed[..bytes.len()].copy_from_slice(bytes);
        Some(u128::from_le_bytes(packed))
    }

    fn slot_of(&self, packed: u128) -> usize {
        let folded = (packed as u64) ^ ((packed >> 64) as u64).rotate_left(29);
        (folded.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as usize & (self.slots.len() - 1)
    }

    fn contains(&self, word: &str) -> bool {
        let Some(packed) = Self::pack(word) else {
            return false;
        };
        let mut slot = self.slot_of(packed);
        loop {
            match self.slots[slot] {
                0 => return false,
                found if found == packed => return true,
                _ => slot = (slot + 1) & (self.slots.len() - 1),
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The end of the run, from byte `at`, of characters that are word characters (`word`) or
/// are not; ASCII, nearly all of a review, is decided without decoding.
fn skip_while_word(text: &str, mut at: usize, word: bool) -> usize {
    let bytes = text.as_bytes();
    while let Some(&byte) = bytes.get(at) {
        let (is, width) = if byte.is_ascii() {
            (is_ascii_word(byte), 1)
        } else {
            match text[at..].chars().next() {
                Some(c) => (is_word(c), c.len_utf8()),
                None => break,
            }
        };
        if is != word {
            break;
        }
        at += width;
    }
    at
}

/// `re.sub('<[^>]*>', '', text)`: each `<` up to the first `>` after it goes; a `<` with no
/// `>` after it stays, and so does everything after it.
fn strip_html_tags(text: &str) -> String {
    let mut stripped = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        stripped.push_str(&rest[..open]);
        rest = &rest[open + close + 1..];
    }
    stripped.push_str(rest);
    stripped
}

/// `re.findall('(?::|;|=)(?:-)?(?:\)|\(|D|P)', text)`: leftmost, non-overlapping, the
/// optional nose taken when it leads to a match.
fn emoticons(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let is_eyes = |b: u8| matches!(b, b':' | b';' | b'=');
    let is_mouth = |b: Option<&u8>| matches!(b, Some(b')' | b'(' | b'D' | b'P'));
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < text.len() {
            if let Some(block) = text.get(at..at + 8) {
                if !has_eyes(block) {
                    at += 8;
                    continue;
                }
            }
            let start = at;
            at += 1;
            if !is_eyes(text[start]) {
                continue;
            }
            let len = if text.get(start + 1) == Some(&b'-') && is_mouth(text.get(start + 2)) {
                3
            } else if is_mouth(text.get(start + 1)) {
                2
            } else {
                continue;
            };
            at = start + len;
            return Some(&text[start..at]);
        }
        None
    })
}

/// Whether eight bytes hold a `:`, `;` or `=`, tested all at once (the "has a zero byte"
/// bit trick on the block xor each byte): emoticons are rare, so most blocks are skipped
/// whole, where testing byte by byte cost a third of tokenizing.
fn has_eyes(block: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(block);
    let word = u64::from_le_bytes(bytes);
    let has_zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS != 0;
    [b':', b';', b'=']
        .iter()
        .any(|&eyes| has_zero_byte(word ^ (ONES * u64::from(eyes))))
}

/// The tokens of one text, and the n-gram terms built from them.
#[derive(Clone, Debug, PartialEq, Eq)]
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
        let (min_n, max_n) = (
            usize::from(self.ngram_range.0),
            usize::from(self.ngram_range.1),
        );
        if min_n <= 1 {
            self.iter().for_each(&mut f);
        }
        let mut gram = String::new();
        for n in min_n.max(2)..=max_n.min(self.len()) {
            for window in self.spans.windows(n) {
                gram.clear();
                for (k, &(start, end)) in window.iter().enumerate() {
                    if k > 0 {
                        gram.push(' ');
                    }
                    gram.push_str(&self.text[start..end]);
                }
                f(&gram);
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
    for (i, c) in text.char_indices() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        match c {
            'Σ' => out.push(if is_final_sigma(text, i) { 'ς' } else { 'σ' }),
            'İ' => out.push_str("i\u{307}"),
            _ => out.push(lower_char(c)),
        }
    }
    out
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
        is_ascii_word(c as u8)
    } else {
        in_table(&python_unicode::WORD, c)
    }
}

fn is_ascii_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
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
    }

    #[test]
    fn tags_and_emoticons_follow_the_notebooks_patterns() {
        assert_eq!(strip_html_tags("a<b <c>d>e<f"), "ad>e<f");
        let found: Vec<&[u8]> = emoticons(b":-) ;( =-x :-:P =D;-(").collect();
        assert_eq!(found, [&b":-)"[..], b";(", b":P", b"=D", b";-("]);
        // Across and at the ends of the eight-byte blocks that are skipped whole.
        let long = b"abcdefgh:)ijklmnop qrstuv:-(wxyz 0123456;P";
        let found: Vec<&[u8]> = emoticons(long).collect();
        assert_eq!(found, [&b":)"[..], b":-(", b";P"]);
        assert!(!has_eyes(b"abcdefgh") && has_eyes(b"abcdefg=") && has_eyes(b";bcdefgh"));
    }

    #[test]
    fn python_unicode_rules() {
        assert_eq!(python_lower("ΣΑΣ"), "σας");
        assert_eq!(python_lower("İ"), "i\u{307}");
        assert!(is_word('²') && is_word('½') && !is_word('\u{301}'));
    }

    #[test]
    fn the_stop_word_list_is_nltks() {
        assert_eq!(stop_words().count(), 179);
        assert_eq!(stop_words().next(), Some("i"));
        let words: Vec<&str> = stop_words().collect();
        let set = WordSet::new(&words);
        assert!(words.iter().all(|word| set.contains(word)));
        for other in ["film", "nots", "no ", "", "themselvesthemselves", "\u{0}"] {
            assert!(!set.contains(other), "{other:?}");
        }
        assert!(WordSet::new(&[]).is_empty());
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
