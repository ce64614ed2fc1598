//! The trainer's input side as a library: the readers of labelled reviews, so that the fuzzer
//! drives exactly the code the command line runs.

pub mod data;
