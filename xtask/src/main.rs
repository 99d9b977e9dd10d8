//! Maintenance commands.
//!
//! `cargo run -p xtask -- spec-diff PATH [--dir DIR] [--allow FILE]` compares
//! the facts of our spec with a Clerk OpenAPI file (YAML or JSON): paths,
//! methods, operation ids, parameters, request bodies, responses, schemas,
//! fields, types, formats, required and nullable flags, enum values and
//! defaults. Prose (summaries, descriptions, examples) and vendor extensions
//! are not compared (see `facts.rs`). It prints one line per difference and
//! exits with 1 when there is a difference not listed in the allowlist
//! (`openapi/spec-diff-allow.txt` by default).
//!
//! `cargo run -p xtask -- spec-update PATH [--dir DIR]` rewrites the facts of
//! our spec to match a Clerk OpenAPI file, keeping our prose on every item
//! that still exists and the layout of the files (see `update.rs`). It prints
//! what was added, removed and changed.
//!
//! Both pick the spec directory from the file: `openapi/bapi` for the Backend
//! API, `openapi/webhooks` for a file of webhook events only; `--dir` names
//! another (a copy, a test fixture).
//!
//! `cargo run -p xtask -- build-time` measures a clean debug build (default
//! features) of this crate and of `clerk-rs` 0.4.2 as published, then of this
//! crate with only the core API groups, each as the only dependency of an
//! empty project with its own fresh target directory, one after the other on
//! this machine. Downloads happen before the clock
//! starts. Needs access to crates.io.

mod build_time;
#[path = "../../build/bundle.rs"]
mod bundle;
mod diff;
mod facts;
mod layout;
mod node;
mod summary;
mod update;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: cargo run -p xtask -- spec-diff PATH [--dir DIR] [--allow FILE]
       cargo run -p xtask -- spec-update PATH [--dir DIR]
       cargo run -p xtask -- build-time";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (name, result) = match args.first().map(String::as_str) {
        Some("build-time") => ("build-time", build_time::build_time().map(|()| true)),
        Some("spec-diff") => ("spec-diff", diff::spec_diff(&args[1..])),
        Some("spec-update") => (
            "spec-update",
            update::spec_update(&args[1..]).map(|()| true),
        ),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::from(2)
        }
    }
}

fn repo_root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

/// A path for messages: relative to the repository when inside it.
fn shown(path: &Path) -> String {
    path.strip_prefix(repo_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A command's arguments: the Clerk spec file, then `--name VALUE` options.
struct Args {
    spec: PathBuf,
    options: Vec<(String, String)>,
}

impl Args {
    /// Parses `args`, accepting only the options named in `allowed`.
    fn parse(args: &[String], allowed: &[&str]) -> Result<Args, String> {
        let (spec, mut rest) = match args.split_first() {
            Some((spec, rest)) if !spec.starts_with("--") => (PathBuf::from(spec), rest),
            _ => return Err(format!("missing PATH of a Clerk spec file\n{USAGE}")),
        };
        let mut options = Vec::new();
        while let Some((name, tail)) = rest.split_first() {
            if !allowed.contains(&name.as_str()) {
                return Err(format!("unknown argument `{name}`\n{USAGE}"));
            }
            let (value, tail) = tail
                .split_first()
                .ok_or_else(|| format!("{name} needs a value"))?;
            options.push((name.clone(), value.clone()));
            rest = tail;
        }
        Ok(Args { spec, options })
    }

    fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The spec directory to work on: `--dir`, else the one that the Clerk
    /// file `theirs` describes.
    fn spec_dir(&self, theirs: &node::Node) -> PathBuf {
        match self.option("--dir") {
            Some(dir) => PathBuf::from(dir),
            None => diff::default_dir(theirs),
        }
    }
}
