//! One module a command: each reads its arguments, runs the library and reports.

pub mod classify;
pub mod eval;
pub mod pickles;
pub mod predict;
pub mod tokenize;
pub mod train;
