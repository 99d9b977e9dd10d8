//! `spec-update`: our spec takes the facts of a Clerk spec file and keeps its
//! own prose.
//!
//! Every item (operation, parameter, response, schema, field…) is matched
//! between the two documents: objects by key, lists by what names their
//! elements (a `$ref`, a parameter's `in` and `name`, a tag's `name`, else
//! their position). For an item both have, the facts come from Clerk's file
//! and the prose (`facts::is_prose`) from ours; an item only Clerk's file has
//! comes without its prose (so `tests/spec_prose.rs` lists what to write); an
//! item only ours has is gone. Keys keep our order; new keys are placed after
//! the key that precedes them in Clerk's file. Lists take Clerk's order.
//!
//! The layout stays: an operation stays in its file; a new one goes to the
//! file of the operations with the same first tag (a new tag gets a new file
//! named after it); a new schema gets its own file; a file left empty is
//! removed. Outside paths and components, `openapi.json` keeps what it has
//! (Clerk's contact details, logos and the like are not copied): `openapi`,
//! `info.version`, `servers`, `security` and the tag list follow Clerk's file.

use crate::facts::{COMPONENT_SECTIONS, Level, METHODS, OPERATION_MAPS, child_level, is_prose};
use crate::layout::{Layout, SpecFile};
use crate::node::{self, Node};
use crate::summary;
use std::collections::{BTreeMap, HashMap};

/// Runs the command.
pub fn spec_update(args: &[String]) -> Result<(), String> {
    let args = crate::Args::parse(args, &["--dir"])?;
    let theirs = node::read_file(&args.spec)?;
    let dir = args.spec_dir(&theirs);
    let old = Layout::read(&dir)?;
    let new = update(&old, &theirs)?;
    let report = summary::Summary::new(&old.bundle()?, &new.bundle()?);
    let files = new.write(&old, &dir)?;
    println!(
        "spec-update: {} now states the facts of {}",
        crate::shown(&dir),
        args.spec.display()
    );
    print!("{report}");
    println!(
        "files: {} rewritten, {} created, {} removed",
        files.written.len(),
        files.created.len(),
        files.removed.len()
    );
    for (sign, list) in [
        ("~", &files.written),
        ("+", &files.created),
        ("-", &files.removed),
    ] {
        for path in list {
            println!("  {sign} {}", crate::shown(path));
        }
    }
    if files.written.is_empty() && files.created.is_empty() && files.removed.is_empty() {
        println!("nothing to do: the facts were already these");
    } else {
        println!(
            "next: write the prose of new items (`cargo test --test spec_prose` lists them), \
             then review the surface snapshot (`cargo test --test surface`)"
        );
    }
    Ok(())
}

/// Our spec with the facts of `theirs`.
pub fn update(old: &Layout, theirs: &Node) -> Result<Layout, String> {
    check_supported(theirs)?;
    check_same_kind(&old.bundle()?, theirs)?;
    let split_paths = old.paths.is_some();
    let split_schemas = old.schemas.is_some();
    let root = SpecFile {
        node: merge_root(&old.root.node, theirs, split_paths, split_schemas),
        ..old.root.clone()
    };
    let empty = Node::empty_object();
    let paths = old
        .paths
        .as_ref()
        .map(|files| update_path_files(files, theirs.get("paths").unwrap_or(&empty), &old.root));
    let schemas = old.schemas.as_ref().map(|files| {
        let theirs = theirs
            .get("components")
            .and_then(|c| c.get("schemas"))
            .unwrap_or(&empty);
        update_schema_files(files, theirs, &old.root)
    });
    Ok(Layout {
        root,
        paths,
        schemas,
    })
}

/// Path items may hold more than operations (shared `parameters`, `servers`);
/// `spec-diff` compares operations only, so such a file is refused rather
/// than half followed.
fn check_supported(theirs: &Node) -> Result<(), String> {
    for map in OPERATION_MAPS {
        for (path, item) in theirs.get(map).map(Node::entries).unwrap_or_default() {
            for (key, _) in item.entries() {
                if !METHODS.contains(&key.as_str()) && !is_prose(key, Level::Keywords) {
                    return Err(format!(
                        "{path}: `{key}` on a path item is not supported; \
                         move it into the operations"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A file of webhook events must not replace a spec of paths, nor the other
/// way round: every operation would be removed.
fn check_same_kind(ours: &Node, theirs: &Node) -> Result<(), String> {
    let kinds = |doc: &Node| -> Vec<&str> {
        OPERATION_MAPS
            .iter()
            .copied()
            .filter(|k| doc.get(k).is_some_and(|m| !m.entries().is_empty()))
            .collect()
    };
    let (mine, their) = (kinds(ours), kinds(theirs));
    if their.is_empty() {
        return Err("the file has no operations (no `paths`, no webhook events)".into());
    }
    if !mine.is_empty() && mine != their {
        return Err(format!(
            "the file has {} but the spec directory has {}: is it the right file (or --dir)?",
            their.join(" and "),
            mine.join(" and ")
        ));
    }
    if let Some(schemas) = theirs.get("components").and_then(|c| c.get("schemas")) {
        for (name, _) in schemas.entries() {
            if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
                return Err(format!("schema name {name:?} cannot be a file name"));
            }
        }
    }
    Ok(())
}

/// The facts of `theirs` with the prose of `ours` (which may lack the item).
pub fn merge(ours: Option<&Node>, theirs: &Node, level: Level) -> Node {
    match (ours, theirs) {
        (Some(Node::Object(mine)), Node::Object(their_entries)) if level != Level::Data => {
            let kept: Vec<&str> = mine
                .iter()
                .map(|(k, _)| k.as_str())
                .filter(|k| is_prose(k, level) || theirs.get(k).is_some())
                .collect();
            let facts: Vec<&str> = their_entries
                .iter()
                .map(|(k, _)| k.as_str())
                .filter(|k| !is_prose(k, level))
                .collect();
            let entries = merge_order(&kept, &facts)
                .into_iter()
                .map(|key| {
                    let value = if is_prose(key, level) {
                        ours.and_then(|o| o.get(key))
                            .cloned()
                            .expect("kept from ours")
                    } else {
                        let theirs = theirs.get(key).expect("a fact of theirs");
                        merge(
                            ours.and_then(|o| o.get(key)),
                            theirs,
                            child_level(key, level),
                        )
                    };
                    (key.to_string(), value)
                })
                .collect();
            Node::Object(entries)
        }
        (Some(Node::Array(mine)), Node::Array(their_items)) if level != Level::Data => {
            let mine: HashMap<String, &Node> = identities(mine).into_iter().zip(mine).collect();
            let items = identities(their_items)
                .into_iter()
                .zip(their_items)
                .map(|(id, item)| merge(mine.get(&id).copied(), item, Level::Keywords))
                .collect();
            Node::Array(items)
        }
        _ => strip(theirs, level),
    }
}

/// `node` without its prose: what a new item brings.
pub fn strip(node: &Node, level: Level) -> Node {
    match node {
        Node::Object(entries) => Node::Object(
            entries
                .iter()
                .filter(|(k, _)| !is_prose(k, level))
                .map(|(k, v)| (k.clone(), strip(v, child_level(k, level))))
                .collect(),
        ),
        Node::Array(items) => {
            let element = if level == Level::Data {
                Level::Data
            } else {
                Level::Keywords
            };
            Node::Array(items.iter().map(|i| strip(i, element)).collect())
        }
        scalar => scalar.clone(),
    }
}

/// What names each element of a list, so that the same element is found in
/// another version of the list: its `$ref`, a parameter's `in` and `name`, a
/// tag's `name`, a server's `url`, else its position among the unnamed. A
/// name seen twice is numbered.
fn identities(items: &[Node]) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    items
        .iter()
        .map(|item| {
            let text = |k: &str| item.get(k).and_then(Node::as_str);
            let base = if let Some(r) = text("$ref") {
                format!("ref {r}")
            } else if let (Some(at), Some(name)) = (text("in"), text("name")) {
                format!("param {at} {name}")
            } else if let Some(name) = text("name") {
                format!("name {name}")
            } else if let Some(url) = text("url") {
                format!("url {url}")
            } else {
                "unnamed".to_string()
            };
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            format!("{base} #{n}")
        })
        .collect()
}

/// Our keys that stay, in our order, with theirs' new keys each placed after
/// the key that precedes it in their order (before the one that follows it
/// when none precedes it).
fn merge_order<'a>(kept: &[&'a str], theirs: &[&'a str]) -> Vec<&'a str> {
    let mut out = kept.to_vec();
    for (i, key) in theirs.iter().enumerate() {
        if !out.contains(key) {
            let at = insert_position(&out, &theirs[..i], &theirs[i + 1..]);
            out.insert(at, key);
        }
    }
    out
}

/// Where a new key goes among `present`: after the nearest of `before` (the
/// keys preceding it in the source order) found there, else before the
/// nearest of `after` found there, else at the end.
fn insert_position<K: PartialEq>(present: &[K], before: &[K], after: &[K]) -> usize {
    before
        .iter()
        .rev()
        .find_map(|k| present.iter().position(|p| p == k).map(|i| i + 1))
        .or_else(|| {
            after
                .iter()
                .find_map(|k| present.iter().position(|p| p == k))
        })
        .unwrap_or(present.len())
}

/// The top of the document: `info` and anything else of ours is kept, facts
/// follow Clerk's file. The parts kept in their own files (`paths`,
/// `components.schemas`) are left as they are here.
fn merge_root(ours: &Node, theirs: &Node, split_paths: bool, split_schemas: bool) -> Node {
    let empty = Node::empty_object();
    let mut entries = Vec::new();
    for (key, value) in ours.entries() {
        let theirs_value = theirs.get(key);
        let merged = match key.as_str() {
            "paths" if split_paths => Some(value.clone()),
            k if OPERATION_MAPS.contains(&k) => Some(merge(
                Some(value),
                theirs_value.unwrap_or(&empty),
                Level::Names,
            )),
            "components" => Some(merge_components(
                value,
                theirs_value.unwrap_or(&empty),
                split_schemas,
            )),
            "openapi" => Some(theirs_value.unwrap_or(value).clone()),
            "info" => Some(merge_info(value, theirs_value)),
            "servers" | "security" | "tags" => {
                theirs_value.map(|t| merge(Some(value), t, Level::Keywords))
            }
            _ => Some(value.clone()),
        };
        if let Some(merged) = merged {
            entries.push((key.clone(), merged));
        }
    }
    for (key, value) in theirs.entries() {
        let wanted = OPERATION_MAPS.contains(&key.as_str()) && !(key == "paths" && split_paths);
        if wanted && ours.get(key).is_none() {
            entries.push((key.clone(), strip(value, Level::Names)));
        }
    }
    Node::Object(entries)
}

/// Our `info` with Clerk's `version`.
fn merge_info(ours: &Node, theirs: Option<&Node>) -> Node {
    let mut info = ours.clone();
    if let (Some(version), Node::Object(entries)) =
        (theirs.and_then(|t| t.get("version")), &mut info)
    {
        match entries.iter_mut().find(|(k, _)| k == "version") {
            Some((_, v)) => *v = version.clone(),
            None => entries.push(("version".into(), version.clone())),
        }
    }
    info
}

/// The fact sections of `components` follow Clerk's file; `schemas` is left
/// as it is when it lives in its own files; anything else is ours.
fn merge_components(ours: &Node, theirs: &Node, split_schemas: bool) -> Node {
    let empty = Node::empty_object();
    let is_fact = |k: &str| COMPONENT_SECTIONS.contains(&k) && !(k == "schemas" && split_schemas);
    let mut entries: Vec<(String, Node)> = Vec::new();
    for (key, value) in ours.entries() {
        let merged = if is_fact(key) {
            merge(Some(value), theirs.get(key).unwrap_or(&empty), Level::Names)
        } else {
            value.clone()
        };
        entries.push((key.clone(), merged));
    }
    for (i, (key, value)) in theirs.entries().iter().enumerate() {
        if is_fact(key) && ours.get(key).is_none() {
            let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
            let their_keys: Vec<&str> = theirs.entries().iter().map(|(k, _)| k.as_str()).collect();
            let at = insert_position(&keys, &their_keys[..i], &their_keys[i + 1..]);
            entries.insert(at, (key.clone(), strip(value, Level::Names)));
        }
    }
    Node::Object(entries)
}

/// The name of the file for a new tag: `Email & SMS Templates` →
/// `email_sms_templates`.
fn file_name_for_tag(tag: &str) -> String {
    let mut name = String::new();
    for c in tag.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.is_empty() && !name.ends_with('_') {
            name.push('_');
        }
    }
    let name = name.trim_end_matches('_');
    if name.is_empty() {
        "untagged".to_string()
    } else {
        name.to_string()
    }
}

fn first_tag(op: &Node) -> Option<&str> {
    match op.get("tags") {
        Some(Node::Array(tags)) => tags.first().and_then(Node::as_str),
        _ => None,
    }
}

/// The `paths/` files: each operation stays where it is, new ones join the
/// file of their first tag.
fn update_path_files(files: &[SpecFile], theirs: &Node, root: &SpecFile) -> Vec<SpecFile> {
    // Operations that stay, in place.
    let mut out: Vec<SpecFile> = files
        .iter()
        .map(|file| {
            let mut entries = Vec::new();
            for (path, item) in file.node.entries() {
                let mut methods = Vec::new();
                for (method, op) in item.entries() {
                    if let Some(their_op) = theirs.get(path).and_then(|i| i.get(method)) {
                        methods.push((method.clone(), merge(Some(op), their_op, Level::Keywords)));
                    }
                }
                if !methods.is_empty() {
                    entries.push((path.clone(), Node::Object(methods)));
                }
            }
            SpecFile {
                node: Node::Object(entries),
                ..file.clone()
            }
        })
        .collect();

    // Which file holds the operations of each tag today (the first one that
    // does, in name order).
    let mut tag_files: BTreeMap<String, String> = BTreeMap::new();
    for file in files {
        for (_, item) in file.node.entries() {
            for (_, op) in item.entries() {
                if let Some(tag) = first_tag(op) {
                    tag_files
                        .entry(tag.to_string())
                        .or_insert_with(|| file.name.clone());
                }
            }
        }
    }
    let exists = |path: &str, method: &str| {
        files
            .iter()
            .any(|f| f.node.get(path).and_then(|i| i.get(method)).is_some())
    };
    let their_paths: Vec<&str> = theirs.entries().iter().map(|(p, _)| p.as_str()).collect();
    let newline = files.first().map_or(root.newline, |f| f.newline);
    for (index, (path, item)) in theirs.entries().iter().enumerate() {
        let their_methods: Vec<&str> = item.entries().iter().map(|(m, _)| m.as_str()).collect();
        for (m_index, (method, op)) in item.entries().iter().enumerate() {
            if !METHODS.contains(&method.as_str()) || exists(path, method) {
                continue;
            }
            let name = first_tag(op)
                .and_then(|tag| tag_files.get(tag).cloned())
                .unwrap_or_else(|| file_name_for_tag(first_tag(op).unwrap_or("")));
            let file = match out.iter().position(|f| f.name == name) {
                Some(i) => &mut out[i],
                None => {
                    out.push(SpecFile {
                        name: name.clone(),
                        node: Node::empty_object(),
                        newline,
                    });
                    out.sort_by(|a, b| a.name.cmp(&b.name));
                    out.iter_mut().find(|f| f.name == name).expect("just added")
                }
            };
            let Node::Object(entries) = &mut file.node else {
                unreachable!("path files are objects")
            };
            let new_op = (method.clone(), strip(op, Level::Keywords));
            let present: Vec<&str> = entries.iter().map(|(p, _)| p.as_str()).collect();
            match present.iter().position(|p| p == path) {
                Some(i) => {
                    let Node::Object(methods) = &mut entries[i].1 else {
                        unreachable!("path items are objects")
                    };
                    let have: Vec<&str> = methods.iter().map(|(m, _)| m.as_str()).collect();
                    let at = insert_position(
                        &have,
                        &their_methods[..m_index],
                        &their_methods[m_index + 1..],
                    );
                    methods.insert(at, new_op);
                }
                None => {
                    let at =
                        insert_position(&present, &their_paths[..index], &their_paths[index + 1..]);
                    entries.insert(at, (path.clone(), Node::Object(vec![new_op])));
                }
            }
        }
    }
    out.retain(|f| !f.node.entries().is_empty());
    out
}

/// The `schemas/` files: one per schema of Clerk's file.
fn update_schema_files(files: &[SpecFile], theirs: &Node, root: &SpecFile) -> Vec<SpecFile> {
    let newline = files.first().map_or(root.newline, |f| f.newline);
    let mut out: Vec<SpecFile> = theirs
        .entries()
        .iter()
        .map(
            |(name, schema)| match files.iter().find(|f| f.name == *name) {
                Some(file) => SpecFile {
                    node: merge(Some(&file.node), schema, Level::Keywords),
                    ..file.clone()
                },
                None => SpecFile {
                    name: name.clone(),
                    node: strip(schema, Level::Keywords),
                    newline,
                },
            },
        )
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Node {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn facts_from_theirs_prose_from_ours() {
        let ours = json(
            r#"{"description": "ours", "type": "object", "required": ["a"],
                "properties": {"a": {"description": "field a", "type": "string"},
                               "gone": {"description": "removed", "type": "string"}}}"#,
        );
        let theirs = json(
            r#"{"type": "object", "description": "theirs", "example": {"a": "x"},
                "required": ["a", "b"], "x-vendor": true,
                "properties": {"a": {"type": "string", "format": "email", "description": "their a"},
                               "b": {"type": "integer", "description": "their b"},
                               "description": {"type": "string"}}}"#,
        );
        let merged = merge(Some(&ours), &theirs, Level::Keywords);
        let expected = json(
            r#"{"description": "ours", "type": "object", "required": ["a", "b"],
                "properties": {"a": {"description": "field a", "type": "string", "format": "email"},
                               "b": {"type": "integer"},
                               "description": {"type": "string"}}}"#,
        );
        assert_eq!(merged, expected);
    }

    #[test]
    fn lists_match_by_name_and_follow_their_order() {
        let ours = json(
            r#"[{"in": "query", "name": "a", "description": "A", "schema": {"type": "string"}},
                {"in": "path", "name": "b", "description": "B", "schema": {"type": "string"}}]"#,
        );
        let theirs = json(
            r#"[{"in": "path", "name": "b", "schema": {"type": "integer"}},
                {"in": "query", "name": "c", "description": "theirs", "schema": {"type": "string"}},
                {"in": "query", "name": "a", "schema": {"type": "string"}}]"#,
        );
        let merged = merge(Some(&ours), &theirs, Level::Keywords);
        let expected = json(
            r#"[{"in": "path", "name": "b", "description": "B", "schema": {"type": "integer"}},
                {"in": "query", "name": "c", "schema": {"type": "string"}},
                {"in": "query", "name": "a", "description": "A", "schema": {"type": "string"}}]"#,
        );
        assert_eq!(merged, expected);
    }

    #[test]
    fn new_keys_go_after_their_predecessor() {
        assert_eq!(
            merge_order(
                &["description", "type", "properties"],
                &["nullable", "type", "format", "properties"]
            ),
            ["description", "nullable", "type", "format", "properties"]
        );
        assert_eq!(merge_order(&["x"], &["a", "b"]), ["x", "a", "b"]);
    }

    #[test]
    fn literal_data_is_taken_whole() {
        let ours =
            json(r#"{"default": {"description": "a value, not prose"}, "enum": ["a", "b"]}"#);
        let theirs = json(r#"{"default": {"description": "another value"}, "enum": ["b", "c"]}"#);
        assert_eq!(merge(Some(&ours), &theirs, Level::Keywords), theirs);
    }

    #[test]
    fn tag_file_names() {
        assert_eq!(
            file_name_for_tag("Email & SMS Templates"),
            "email_sms_templates"
        );
        assert_eq!(
            file_name_for_tag("Allow-list / Block-list"),
            "allow_list_block_list"
        );
        assert_eq!(
            file_name_for_tag("OAuth Applications"),
            "oauth_applications"
        );
        assert_eq!(file_name_for_tag(""), "untagged");
    }
}
