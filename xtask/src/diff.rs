//! `spec-diff`: every fact where our spec and a Clerk spec file differ.

use crate::facts::facts;
use crate::node::{self, Node};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Returns whether the specs agree (apart from allowed differences).
pub fn spec_diff(args: &[String]) -> Result<bool, String> {
    let args = crate::Args::parse(args, &["--dir", "--allow"])?;
    let theirs_path = args.spec.display().to_string();
    let theirs = node::read_file(&args.spec)?;
    let dir = args.spec_dir(&theirs);
    let allow_path = match args.option("--allow") {
        Some(path) => PathBuf::from(path),
        None => crate::repo_root().join("openapi/spec-diff-allow.txt"),
    };
    let ours = crate::bundle::bundle(&dir)?;
    let allowed = read_allowlist(&allow_path)?;

    let (ours, theirs) = (facts(&ours), facts(&theirs.to_value()));
    let mut differences = Vec::new();
    for (key, value) in &theirs {
        match ours.get(key) {
            None => differences.push((
                key.clone(),
                format!("- {key}: {value} (only in {theirs_path})"),
            )),
            Some(mine) if mine != value => {
                differences.push((key.clone(), format!("~ {key}: ours {mine}, theirs {value}")))
            }
            _ => {}
        }
    }
    for (key, value) in &ours {
        if !theirs.contains_key(key) {
            differences.push((key.clone(), format!("+ {key}: {value} (only in ours)")));
        }
    }
    let mut unexpected = 0;
    for (key, line) in &differences {
        if allowed
            .iter()
            .any(|a| key == a || key.starts_with(&format!("{a} ")))
        {
            println!("allowed {line}");
        } else {
            println!("{line}");
            unexpected += 1;
        }
    }
    let ops =
        |f: &BTreeMap<String, String>| f.keys().filter(|k| k.ends_with(" operationId")).count();
    eprintln!(
        "spec-diff: {} facts in ours ({} operations), {} in theirs ({} operations); {} differences, {} not allowed",
        ours.len(),
        ops(&ours),
        theirs.len(),
        ops(&theirs),
        differences.len(),
        unexpected
    );
    Ok(unexpected == 0)
}

/// Allowlist: one fact key per line, `#` starts a comment (the reason).
fn read_allowlist(path: &Path) -> Result<Vec<String>, String> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect())
}

/// Which of our spec directories a Clerk file describes: the Backend API
/// when it has paths, the webhooks when it has only webhook events.
pub fn default_dir(theirs: &Node) -> PathBuf {
    let has_paths = theirs
        .get("paths")
        .is_some_and(|paths| !paths.entries().is_empty());
    let has_events = ["webhooks", "x-webhooks"]
        .iter()
        .any(|k| theirs.get(k).is_some());
    let api = if !has_paths && has_events {
        "webhooks"
    } else {
        "bapi"
    };
    crate::repo_root().join("openapi").join(api)
}
