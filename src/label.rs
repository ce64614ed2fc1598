//! The two classes of a review, and the ways people write them down.

use serde::{Deserialize, Serialize};

/// The two classes of a review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Label {
    Negative,
    Positive,
}

impl Label {
    /// The notebook's encoding: 0 negative, 1 positive.
    pub fn from_digit(digit: u8) -> Option<Label> {
        match digit {
            0 => Some(Label::Negative),
            1 => Some(Label::Positive),
            _ => None,
        }
    }

    /// Reads a label written as `0`/`1`, `negative`/`positive` or `neg`/`pos` (any case,
    /// surrounding spaces ignored): the forms the trainer and the page accept in files.
    pub fn parse(field: &str) -> Option<Label> {
        let field = field.trim();
        let is = |word: &str| field.eq_ignore_ascii_case(word);
        if is("0") || is("negative") || is("neg") {
            Some(Label::Negative)
        } else if is("1") || is("positive") || is("pos") {
            Some(Label::Positive)
        } else {
            None
        }
    }

    pub fn digit(self) -> u8 {
        match self {
            Label::Negative => 0,
            Label::Positive => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Label::Negative => "negative",
            Label::Positive => "positive",
        }
    }

    pub fn is_positive(self) -> bool {
        self == Label::Positive
    }

    pub fn from_positive(positive: bool) -> Label {
        if positive {
            Label::Positive
        } else {
            Label::Negative
        }
    }

    pub fn opposite(self) -> Label {
        Label::from_positive(!self.is_positive())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_read_in_every_usual_form() {
        for field in ["1", " positive", "POS", "Positive "] {
            assert_eq!(Label::parse(field), Some(Label::Positive), "{field:?}");
        }
        for field in ["0", "negative", "Neg"] {
            assert_eq!(Label::parse(field), Some(Label::Negative), "{field:?}");
        }
        for field in ["", "2", "maybe", "posi"] {
            assert_eq!(Label::parse(field), None, "{field:?}");
        }
    }
}
