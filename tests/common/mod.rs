//! Reading the golden fixtures, shared by the native and the browser tests.

use movieclassifier::Label;
use serde_json::Value;

pub fn texts(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_str().expect("string"))
        .collect()
}

pub fn numbers(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .collect()
}

pub fn labels(value: &Value) -> Vec<Label> {
    numbers(value)
        .into_iter()
        .map(|y| Label::from_digit(y as u8).expect("0 or 1"))
        .collect()
}
