//! The browser's view of the library: a thin `wasm-bindgen` layer, compiled only for wasm32.
//!
//! It converts between JavaScript and Rust values and keeps a visitor's teaching in
//! IndexedDB; every decision about text and weights lives in the pipeline modules, so the
//! page, its worker and the native trainer run the same code.

mod change;
mod history;
mod jobs;
mod labelling;
mod session;
pub mod store;

pub use jobs::{file_kind, inspect_file, FileJob};
pub use session::{max_model_bytes, open_session, Session};
