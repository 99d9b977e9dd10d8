//! Our split spec directory (`openapi/bapi/`, `openapi/webhooks/`) as files,
//! read and written with key order and formatting kept.
//!
//! The layout is the one `build/bundle.rs` reads: `openapi.json`, and when
//! they exist, `paths/<group>.json` (maps of path to path item) and
//! `schemas/<Name>.json` (one schema each). A directory that has no `paths/`
//! keeps its paths (or webhook events) in `openapi.json`.

use crate::node::Node;
use std::path::{Path, PathBuf};

/// One JSON file of the spec.
#[derive(Clone, Debug)]
pub struct SpecFile {
    /// The file name without `.json`.
    pub name: String,
    pub node: Node,
    /// Whether the text ends with a newline (kept as found).
    pub newline: bool,
}

impl SpecFile {
    /// The file's text as written.
    pub fn render(&self) -> String {
        let mut text = self.node.to_pretty();
        if self.newline {
            text.push('\n');
        }
        text
    }
}

/// A spec directory.
#[derive(Clone, Debug)]
pub struct Layout {
    pub root: SpecFile,
    /// `paths/*.json` in name order, when the directory has `paths/`.
    pub paths: Option<Vec<SpecFile>>,
    /// `schemas/*.json` in name order, when the directory has `schemas/`.
    pub schemas: Option<Vec<SpecFile>>,
}

impl Layout {
    pub fn read(dir: &Path) -> Result<Layout, String> {
        let root = read_spec_file(&dir.join("openapi.json"))?;
        let paths = read_dir(&dir.join("paths"))?;
        let schemas = read_dir(&dir.join("schemas"))?;
        Ok(Layout {
            root,
            paths,
            schemas,
        })
    }

    /// The whole document, merged as `build/bundle.rs` merges it, in order.
    pub fn bundle(&self) -> Result<Node, String> {
        let mut doc = self.root.node.clone();
        let Node::Object(entries) = &mut doc else {
            return Err("openapi.json: expected an object".into());
        };
        if let Some(files) = &self.paths {
            let mut paths: Vec<(String, Node)> = Vec::new();
            for file in files {
                for (path, item) in file.node.entries() {
                    match paths.iter_mut().find(|(p, _)| p == path) {
                        Some((_, Node::Object(methods))) => {
                            methods.extend(item.entries().iter().cloned())
                        }
                        _ => paths.push((path.clone(), item.clone())),
                    }
                }
            }
            set(entries, "paths", Node::Object(paths));
        }
        if let Some(files) = &self.schemas {
            let schemas = files
                .iter()
                .map(|f| (f.name.clone(), f.node.clone()))
                .collect();
            if !matches!(doc.get("components"), Some(Node::Object(_))) {
                let Node::Object(entries) = &mut doc else {
                    unreachable!("checked above")
                };
                set(entries, "components", Node::empty_object());
            }
            let Some(Node::Object(components)) = doc.get_mut("components") else {
                unreachable!("set above")
            };
            set(components, "schemas", Node::Object(schemas));
        }
        Ok(doc)
    }

    /// Writes `self` into `dir`, which holds `old`: only files whose text
    /// changes are written; files `self` no longer has are removed.
    pub fn write(&self, old: &Layout, dir: &Path) -> Result<FileChanges, String> {
        let mut changes = FileChanges::default();
        write_file(
            &dir.join("openapi.json"),
            &self.root,
            Some(&old.root),
            &mut changes,
        )?;
        for (sub, new, old) in [
            ("paths", &self.paths, &old.paths),
            ("schemas", &self.schemas, &old.schemas),
        ] {
            let (Some(new), Some(old)) = (new, old) else {
                continue;
            };
            let folder = dir.join(sub);
            for file in new {
                let before = old.iter().find(|f| f.name == file.name);
                write_file(&file_path(&folder, &file.name), file, before, &mut changes)?;
            }
            for file in old {
                if !new.iter().any(|f| f.name == file.name) {
                    let path = file_path(&folder, &file.name);
                    std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                    changes.removed.push(path);
                }
            }
        }
        Ok(changes)
    }
}

/// The files `Layout::write` touched.
#[derive(Debug, Default)]
pub struct FileChanges {
    pub written: Vec<PathBuf>,
    pub created: Vec<PathBuf>,
    pub removed: Vec<PathBuf>,
}

/// Replaces the value of `key`, or appends it.
fn set(entries: &mut Vec<(String, Node)>, key: &str, value: Node) {
    match entries.iter_mut().find(|(k, _)| k == key) {
        Some((_, v)) => *v = value,
        None => entries.push((key.to_string(), value)),
    }
}

fn file_path(folder: &Path, name: &str) -> PathBuf {
    folder.join(format!("{name}.json"))
}

fn write_file(
    path: &Path,
    file: &SpecFile,
    old: Option<&SpecFile>,
    changes: &mut FileChanges,
) -> Result<(), String> {
    let text = file.render();
    if old.is_some_and(|old| old.render() == text) {
        return Ok(());
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    match old {
        Some(_) => changes.written.push(path.to_path_buf()),
        None => changes.created.push(path.to_path_buf()),
    }
    Ok(())
}

fn read_spec_file(path: &Path) -> Result<SpecFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let node: Node = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or_else(|| format!("{}: file name is not UTF-8", path.display()))?
        .to_string();
    let file = SpecFile {
        name,
        node,
        newline: text.ends_with('\n'),
    };
    // Rewriting must not reformat a file, so only files in the format this
    // tool writes can be updated.
    if file.render() != text {
        return Err(format!(
            "{}: not formatted as this tool writes JSON (two-space indentation, one key per line); \
             reformat it first",
            path.display()
        ));
    }
    Ok(file)
}

fn read_dir(dir: &Path) -> Result<Option<Vec<SpecFile>>, String> {
    if !dir.is_dir() {
        return Ok(None);
    }
    // Same selection and order as `build/bundle.rs`.
    let files = crate::bundle::json_files(dir)?;
    files
        .iter()
        .map(|f| read_spec_file(f))
        .collect::<Result<_, _>>()
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `spec-update` reads the files its own way (keeping key order); the
    /// document must be the one the build reads through `build/bundle.rs`.
    #[test]
    fn bundles_as_the_build_does() {
        for api in ["bapi", "webhooks"] {
            let dir = crate::repo_root().join("openapi").join(api);
            let ours = Layout::read(&dir).unwrap().bundle().unwrap().to_value();
            assert_eq!(ours, crate::bundle::bundle(&dir).unwrap(), "{api}");
        }
    }

    /// Every file of our spec is written back byte for byte.
    #[test]
    fn renders_our_files_unchanged() {
        for api in ["bapi", "webhooks"] {
            let dir = crate::repo_root().join("openapi").join(api);
            let layout = Layout::read(&dir).unwrap();
            let files = std::iter::once(&layout.root)
                .chain(layout.paths.iter().flatten())
                .chain(layout.schemas.iter().flatten());
            let mut count = 0;
            for file in files {
                count += 1;
                let sub = if file.name == "openapi" && std::ptr::eq(file, &layout.root) {
                    String::new()
                } else if layout.paths.iter().flatten().any(|f| std::ptr::eq(f, file)) {
                    "paths/".into()
                } else {
                    "schemas/".into()
                };
                let path = dir.join(format!("{sub}{}.json", file.name));
                assert_eq!(
                    file.render(),
                    std::fs::read_to_string(&path).unwrap(),
                    "{}",
                    path.display()
                );
            }
            assert!(count > 50, "{api}: {count} files");
        }
    }
}
