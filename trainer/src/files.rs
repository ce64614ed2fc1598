//! Model files on disk: read with a clear error, written whole or not at all.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use movieclassifier::Classifier;

pub fn load_model(path: &Path) -> Result<Classifier> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Classifier::from_bytes(&bytes).with_context(|| format!("{}", path.display()))
}

/// Writes `bytes` to `path` through a temporary file and a rename, so that an interrupted
/// run leaves either the old file or the new one, never half of one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let file_name = path
        .file_name()
        .with_context(|| format!("{} is not a file name", path.display()))?;
    let temporary = path.with_file_name(format!(
        ".{}.{}.partial",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if let Err(err) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(err).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_are_written_whole_through_a_rename() {
        let dir = std::env::temp_dir().join(format!("trainer-write-{}", std::process::id()));
        let path = dir.join("nested").join("model.postcard");
        write_atomically(&path, b"first").expect("writes");
        write_atomically(&path, b"second").expect("overwrites");
        assert_eq!(std::fs::read(&path).expect("reads"), b"second");
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().expect("has a folder"))
            .expect("lists")
            .filter_map(|entry| entry.ok())
            .filter(|entry| entry.file_name().to_string_lossy().ends_with(".partial"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
