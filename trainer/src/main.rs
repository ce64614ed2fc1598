//! `trainer`: trains movieclassifier models out of core, and evaluates, applies and inspects
//! them from the command line. This file only dispatches; each command has its own file.

mod card;
mod cli;
mod commands;
mod feed;
mod files;
mod progress;
mod report;

use clap::Parser;
use trainer::data;

use crate::cli::{Cli, Command};

fn main() {
    restore_default_sigpipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(args) => commands::train::run(&args),
        Command::Eval(args) => commands::eval::run(&args),
        Command::Predict(args) => commands::predict::run(&args),
        Command::Classify(args) => commands::classify::run(&args),
        Command::Tokenize(args) => commands::tokenize::run(&args),
        Command::ImportPickle(args) => commands::pickles::import(&args),
        Command::ExportPickle(args) => commands::pickles::export(&args),
    };
    if let Err(err) = result {
        eprintln!("trainer: {err:#}");
        std::process::exit(1);
    }
}

/// Lets a closed pipe end the program quietly, as it does other command-line tools
/// (`trainer tokenize ... | head`); Rust starts programs with SIGPIPE ignored, which turns
/// every later `println!` into a panic.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any other thread exists; SIG_DFL is a
    // valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
