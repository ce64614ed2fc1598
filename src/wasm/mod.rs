//! The browser's view of the library: a thin `wasm-bindgen` layer, compiled only for wasm32.
//!
//! It converts between JavaScript and Rust values and keeps a visitor's teaching in
//! IndexedDB; every decision about text and weights lives in the pipeline modules, so the
//! page, its worker and the native trainer run the same code.

#[cfg(feature = "engine")]
mod change;
mod glance;
#[cfg(feature = "engine")]
mod history;
#[cfg(feature = "engine")]
mod jobs;
#[cfg(feature = "engine")]
mod labelling;
#[cfg(feature = "engine")]
mod session;
pub mod store;
mod verdict;

pub use glance::{open_glance, Glance};
#[cfg(feature = "engine")]
pub use jobs::{file_kind, inspect_file, FileJob};
#[cfg(feature = "engine")]
pub use session::{max_model_bytes, open_session, Session};
