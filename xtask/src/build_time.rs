//! `build-time`: a clean debug build of this crate and of `clerk-rs`, each as
//! the only dependency of an empty project, timed one after the other.

use std::path::Path;

/// Builds each probe project from scratch and prints the wall-clock times.
pub fn build_time() -> Result<(), String> {
    let work = std::env::temp_dir().join("clerk-build-time");
    let _ = std::fs::remove_dir_all(&work);
    let ours = crate::repo_root()
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
