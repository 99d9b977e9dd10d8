//! Maintenance commands.
//!
//! `cargo run -p xtask -- spec-diff PATH [--allow FILE]` compares the facts of
//! our spec (`openapi/bapi/`) with a Clerk OpenAPI file (YAML or JSON): paths,
//! methods, operation ids, parameters, request bodies, responses, schemas,
//! fields, types, formats, required and nullable flags, enum values and
//! defaults. Prose (summaries, descriptions, examples) and vendor extensions
//! are not compared. It prints one line per difference and exits with 1 when
//! there is a difference not listed in the allowlist
//! (`openapi/spec-diff-allow.txt` by default).
//!
//! `cargo run -p xtask -- build-time` measures a clean debug build (default
//! features) of this crate and of `clerk-rs` 0.4.2 as published, then of this
//! crate with only the core API groups, each as the only dependency of an
//! empty project with its own fresh target directory, one after the other on
//! this machine. Downloads happen before the clock
//! starts. Needs access to crates.io.

#[path = "../../build/bundle.rs"]
mod bundle;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("build-time") => match build_time() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("build-time: {e}");
                ExitCode::from(2)
            }
        },
        Some("spec-diff") => match spec_diff(&args[1..]) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(e) => {
                eprintln!("spec-diff: {e}");
                ExitCode::from(2)
            }
        },
        _ => {
            eprintln!("usage: cargo run -p xtask -- spec-diff PATH [--allow FILE]");
            eprintln!("       cargo run -p xtask -- build-time");
            ExitCode::from(2)
        }
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Returns whether the specs agree (apart from allowed differences).
fn spec_diff(args: &[String]) -> Result<bool, String> {
    let theirs_path = args.first().ok_or("missing PATH of a Clerk spec file")?;
    let allow_path = match args.iter().position(|a| a == "--allow") {
        Some(i) => PathBuf::from(args.get(i + 1).ok_or("--allow needs a file")?),
        None => repo_root().join("openapi/spec-diff-allow.txt"),
    };
    let text = std::fs::read_to_string(theirs_path).map_err(|e| format!("{theirs_path}: {e}"))?;
    let theirs: Value = if theirs_path.ends_with(".json") {
        serde_json::from_str(&text).map_err(|e| format!("{theirs_path}: {e}"))?
    } else {
        serde_norway::from_str(&text).map_err(|e| format!("{theirs_path}: {e}"))?
    };
    let ours = bundle::bundle(&repo_root().join("openapi/bapi"))?;
    let allowed = read_allowlist(&allow_path)?;

    let (ours, theirs) = (facts(&ours), facts(&theirs));
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

/// Keys whose values are prose or presentation, not facts of the API.
fn is_prose(key: &str) -> bool {
    matches!(
        key,
        "description" | "summary" | "example" | "examples" | "externalDocs" | "title"
    ) || key.starts_with("x-")
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Flattens the facts of a document into `key -> value` lines.
fn facts(doc: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                let base = format!("{} {path}", method.to_uppercase());
                flatten_operation(op, &base, &mut out);
            }
        }
    }
    for section in ["schemas", "responses", "parameters", "securitySchemes"] {
        if let Some(items) = doc["components"][section].as_object() {
            for (name, value) in items {
                flatten(value, &format!("{section}.{name}"), &mut out);
            }
        }
    }
    out
}

fn flatten_operation(op: &Value, base: &str, out: &mut BTreeMap<String, String>) {
    for (key, value) in op.as_object().into_iter().flatten() {
        if is_prose(key) {
            continue;
        }
        match key.as_str() {
            "parameters" => {
                for p in value.as_array().into_iter().flatten() {
                    let name = match p["$ref"].as_str() {
                        Some(r) => format!("ref {r}"),
                        None => format!(
                            "{} {}",
                            p["in"].as_str().unwrap_or("?"),
                            p["name"].as_str().unwrap_or("?")
                        ),
                    };
                    flatten(p, &format!("{base} param[{name}]"), out);
                }
            }
            "responses" => {
                for (code, r) in value.as_object().into_iter().flatten() {
                    flatten(r, &format!("{base} response[{code}]"), out);
                }
            }
            _ => flatten(value, &format!("{base} {key}"), out),
        }
    }
}

/// Writes one line per scalar; `required` and `enum` lists as one value.
fn flatten(value: &Value, key: &str, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            if map.is_empty() {
                out.insert(key.to_string(), "{}".into());
            }
            for (k, v) in map {
                if is_prose(k) && !key.ends_with(".properties") {
                    continue;
                }
                flatten(v, &format!("{key}.{k}"), out);
            }
        }
        Value::Array(items) if key.ends_with(".required") || key.ends_with(".tags") => {
            let mut names: Vec<String> = items.iter().map(|v| v.to_string()).collect();
            names.sort();
            out.insert(key.to_string(), format!("[{}]", names.join(", ")));
        }
        Value::Array(items) if key.ends_with(".enum") => {
            let values: Vec<String> = items.iter().map(|v| v.to_string()).collect();
            out.insert(key.to_string(), format!("[{}]", values.join(", ")));
        }
        Value::Array(items) => {
            if items.is_empty() {
                out.insert(key.to_string(), "[]".into());
            }
            for (i, v) in items.iter().enumerate() {
                flatten(v, &format!("{key}[{i}]"), out);
            }
        }
        other => {
            out.insert(key.to_string(), other.to_string());
        }
    }
}

/// Builds each probe project from scratch and prints the wall-clock times.
fn build_time() -> Result<(), String> {
    let work = std::env::temp_dir().join("clerk-build-time");
    let _ = std::fs::remove_dir_all(&work);
    let ours = repo_root()
        .canonicalize()
        .map_err(|e| format!("repository root: {e}"))?;
    let path = ours.display().to_string();
    let probes = [
        (
            "clerk-backend-api (this crate)",
            format!("clerk-backend-api = {{ path = {path:?} }}"),
        ),
        ("clerk-rs 0.4.2", "clerk-rs = \"=0.4.2\"".to_string()),
        (
            "clerk-backend-api, core API groups only",
            format!(
                "clerk-backend-api = {{ path = {path:?}, default-features = false, features = [\"rustls\"] }}"
            ),
        ),
    ];
    let mut results = Vec::new();
    for (i, (label, dependency)) in probes.iter().enumerate() {
        let dir = work.join(format!("probe{i}"));
        std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
        std::fs::write(
            dir.join("Cargo.toml"),
            format!(
                "[package]\nname = \"probe{i}\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
                 [dependencies]\n{dependency}\n\n[workspace]\n"
            ),
        )
        .map_err(|e| e.to_string())?;
        std::fs::write(dir.join("src/lib.rs"), "").map_err(|e| e.to_string())?;
        run(&dir, &["fetch"])?;
        let started = std::time::Instant::now();
        run(&dir, &["build", "--quiet"])?;
        let seconds = started.elapsed().as_secs_f64();
        println!("{label}: clean debug build {seconds:.1} s");
        results.push(seconds);
    }
    println!(
        "ratio (this crate / clerk-rs): {:.2}",
        results[0] / results[1]
    );
    println!(
        "ratio (core API groups only / clerk-rs): {:.2}",
        results[2] / results[1]
    );
    Ok(())
}

fn run(dir: &Path, args: &[&str]) -> Result<(), String> {
    let status = std::process::Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .status()
        .map_err(|e| format!("cargo {args:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo {args:?} failed in {}", dir.display()))
    }
}
