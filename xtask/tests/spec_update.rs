//! `spec-update` on small made-up specs (`tests/fixtures/spec-update/`):
//!
//! - `api/` is a split spec with our prose; `api-v1.yml` states the same facts
//!   the way Clerk writes its files (other prose, marked UPSTREAM, examples,
//!   vendor extensions, keys in another order); `api-v2.yml` is its next
//!   version (operations added and removed, a field added and one removed,
//!   enums changed, a field newly required, a schema and a tag added and
//!   removed). `api-v2-expected/` is the reviewed result of the update.
//! - `events/`, `events-v1.yml`, `events-v2.yml`, `events-v2-expected/`: the
//!   same for webhook events, whose layout has no `paths/` folder.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spec-update")
}

/// Every file under `dir`, by path relative to it.
fn tree(dir: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Fails on the first file that differs.
fn assert_same_tree(actual: &Path, expected: &Path) {
    let (actual, expected) = (tree(actual), tree(expected));
    assert_eq!(
        actual.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "not the same files"
    );
    for (rel, text) in &expected {
        assert_eq!(&actual[rel], text, "{rel} differs");
    }
}

/// A fresh copy of a fixture directory in a scratch place, for one test
/// (tests run in parallel, so each works on its own copy).
fn scratch_copy(name: &str, test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "xtask-spec-update-{}-{test}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    for (rel, text) in tree(&fixtures().join(name)) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// Runs xtask; returns stdout, failing the test on a failed run.
fn xtask(args: &[&str], dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .arg("--dir")
        .arg(dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "xtask {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn update(spec: &str, dir: &Path) -> String {
    xtask(
        &["spec-update", fixtures().join(spec).to_str().unwrap()],
        dir,
    )
}

fn json(dir: &Path, rel: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(rel)).unwrap()).unwrap()
}

fn assert_lines(output: &str, lines: &[&str]) {
    for line in lines {
        assert!(
            output.lines().any(|l| l == *line),
            "missing line {line:?} in:\n{output}"
        );
    }
}

#[test]
fn same_facts_change_nothing() {
    for (name, spec) in [("api", "api-v1.yml"), ("events", "events-v1.yml")] {
        let dir = scratch_copy(name, "same");
        let output = update(spec, &dir);
        assert_same_tree(&dir, &fixtures().join(name));
        assert_lines(
            &output,
            &[
                "operations: 0 added, 0 removed, 0 changed",
                "files: 0 rewritten, 0 created, 0 removed",
            ],
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn next_version_of_an_api() {
    let dir = scratch_copy("api", "next");
    let output = update("api-v2.yml", &dir);

    // The files, as reviewed.
    assert_same_tree(&dir, &fixtures().join("api-v2-expected"));

    // What is printed.
    assert_lines(
        &output,
        &[
            "version: 2024-01-01 -> 2024-06-01",
            "operations: 3 added, 1 removed, 2 changed",
            "  + GET /sprockets",
            "  + PATCH /widgets/{widget_id}",
            "  + POST /widgets/{widget_id}/archive",
            "  - GET /gadgets",
            "schemas: 1 added, 1 removed, 1 changed",
            "  + schemas.Sprocket",
            "  - schemas.Gadget",
            "  + Widget.weight",
            "  - Widget.legacy_code",
            "  ~ Widget.color: enum [\"red\", \"blue\"] -> [\"red\", \"green\"]",
            "  ~ Widget.name: required false -> true",
            "  ~ POST /widgets body.name: required false -> true",
            "  + tag Sprockets",
            "  - tag Gadgets",
            "files: 3 rewritten, 2 created, 2 removed",
        ],
    );

    // Our prose stays on what still exists; new items have none; nothing of
    // the publisher's prose comes in.
    let widget = json(&dir, "schemas/Widget.json");
    assert_eq!(widget["description"], "Our words: a widget.");
    assert_eq!(
        widget["properties"]["color"]["description"],
        "Our words: its color."
    );
    assert_eq!(
        widget["properties"]["color"]["enum"],
        serde_json::json!(["red", "green"])
    );
    assert!(widget["properties"]["weight"].get("description").is_none());
    assert!(widget["properties"].get("legacy_code").is_none());
    assert_eq!(
        widget["required"],
        serde_json::json!(["id", "color", "name"])
    );
    let paths = json(&dir, "paths/widgets.json");
    let list = &paths["/widgets"]["get"];
    assert_eq!(list["summary"], "Our words: list widgets");
    assert_eq!(list["parameters"][0]["description"], "Our words: how many.");
    assert_eq!(list["parameters"][0]["schema"]["maximum"], 100);
    let patch = &paths["/widgets/{widget_id}"]["patch"];
    assert_eq!(patch["operationId"], "UpdateWidget");
    assert!(patch.get("summary").is_none() && patch.get("description").is_none());
    assert!(!dir.join("paths/gadgets.json").exists());
    assert!(dir.join("paths/sprockets.json").exists());
    let root = json(&dir, "openapi.json");
    assert_eq!(root["tags"][0]["description"], "Our words: widgets.");
    assert!(root["tags"][1].get("description").is_none());
    for (rel, text) in tree(&dir) {
        assert!(
            !text.contains("UPSTREAM"),
            "{rel} took the publisher's prose"
        );
        assert!(
            !text.contains("\"example\"") && !text.contains("\"x-"),
            "{rel} took examples or extensions"
        );
    }

    // The result states the new facts exactly, and a second run is a no-op.
    let spec = fixtures().join("api-v2.yml");
    xtask(&["spec-diff", spec.to_str().unwrap()], &dir);
    let again = update("api-v2.yml", &dir);
    assert_lines(&again, &["files: 0 rewritten, 0 created, 0 removed"]);
    assert_same_tree(&dir, &fixtures().join("api-v2-expected"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn next_version_of_webhook_events() {
    let dir = scratch_copy("events", "next");
    let output = update("events-v2.yml", &dir);
    assert_same_tree(&dir, &fixtures().join("events-v2-expected"));
    assert_lines(
        &output,
        &[
            "operations: 1 added, 0 removed, 0 changed",
            "  + POST widget.deleted",
            "  + WidgetEvent.deleted",
        ],
    );
    let root = json(&dir, "openapi.json");
    let events = &root["x-webhooks"];
    assert_eq!(
        events["widget.created"]["post"]["description"],
        "Our words: a widget was made."
    );
    assert!(
        events["widget.deleted"]["post"]
            .get("description")
            .is_none()
    );
    // Clerk's servers and examples are not part of our description.
    assert!(root.get("servers").is_none());
    assert_eq!(root["components"], serde_json::json!({}));
    let spec = fixtures().join("events-v2.yml");
    xtask(&["spec-diff", spec.to_str().unwrap()], &dir);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn refuses_files_it_would_reformat() {
    let dir = scratch_copy("api", "format");
    let path = dir.join("schemas/Error.json");
    let compact = json(&dir, "schemas/Error.json").to_string();
    std::fs::write(&path, &compact).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "spec-update",
            fixtures().join("api-v1.yml").to_str().unwrap(),
        ])
        .arg("--dir")
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Error.json: not formatted"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), compact);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn refuses_a_file_of_the_other_kind() {
    let dir = scratch_copy("api", "kind");
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "spec-update",
            fixtures().join("events-v1.yml").to_str().unwrap(),
        ])
        .arg("--dir")
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is it the right file"), "{stderr}");
    assert_same_tree(&dir, &fixtures().join("api"));
    std::fs::remove_dir_all(dir).unwrap();
}
