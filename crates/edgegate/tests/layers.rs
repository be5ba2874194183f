//! The core's layers, checked from its sources: every `use` of one of the
//! crate's modules points down the layer list (or within a module), and no
//! file imports one that imports it back — in the core and in the adapter.
//! An import that breaks either fails here, naming the files.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The core's top-level modules, lowest first; a module may use only those
/// before it (and itself). `openapi` and `testing` sit beside, on top.
const LAYERS: &[&[&str]] = &[
    &["time", "digest", "setting", "http"],
    &["platform"],
    &["policy"],
    &["extract", "observe"],
    &["upstream", "handler", "cache"],
    &["describe"],
    &["routing"],
    &["config"],
    &["plan"],
    &["gateway"],
    &["openapi", "testing"],
];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// Every `.rs` file under `root`, as its path relative to `root`.
fn sources(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).expect("a source directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path.strip_prefix(root).expect("under root").to_path_buf());
            }
        }
    }
    found.sort();
    found
}

/// A file's module path: `policy/traffic/mod.rs` → `[policy, traffic]`.
fn module_of(file: &Path) -> Vec<String> {
    let mut parts: Vec<String> = file
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The code of a file without comments and its unit tests.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The crate paths a file names (`crate::a::b`, `super::c`, each item of a
/// `{..}` list), as module paths.
fn named_paths(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let bytes = code.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut at = 0;
    while at < code.len() {
        let rest = &code[at..];
        let start = ["crate::", "super::"].iter().find(|p| rest.starts_with(**p));
        if start.is_none() || (at > 0 && is_ident(bytes[at - 1])) {
            at += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        }
        let mut end = at;
        while end < code.len() && (is_ident(bytes[end]) || code[end..].starts_with("::")) {
            end += if code[end..].starts_with("::") { 2 } else { 1 };
        }
        let path: Vec<&str> = code[at..end].trim_end_matches(':').split("::").collect();
        let mut base: Vec<String> = match path[0] {
            "super" => {
                let mut base = module[..module.len().saturating_sub(1)].to_vec();
                let mut rest = &path[1..];
                while rest.first() == Some(&"super") {
                    base.pop();
                    rest = &rest[1..];
                }
                base.extend(rest.iter().map(|s| s.to_string()));
                base
            }
            _ => path[1..].iter().map(|s| s.to_string()).collect(),
        };
        base.retain(|s| !s.is_empty());
        if code[end..].starts_with('{') {
            let close = code[end..].find('}').map_or(code.len(), |c| end + c);
            for item in code[end + 1..close].split(',') {
                let first = item
                    .trim()
                    .split("::")
                    .next()
                    .unwrap_or("")
                    .split(' ')
                    .next()
                    .unwrap_or("");
                if !first.is_empty() {
                    let mut path = base.clone();
                    path.push(first.to_owned());
                    paths.push(path);
                }
            }
            at = close;
        } else {
            paths.push(base);
            at = end;
        }
    }
    paths
}

/// Which file of `modules` each file imports (not counting a module file's
/// own children, which it declares).
fn imports(root: &Path) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let files = sources(root);
    let by_module: BTreeMap<Vec<String>, PathBuf> = files.iter().map(|f| (module_of(f), f.clone())).collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let module = module_of(file);
        let code = code(&fs::read_to_string(root.join(file)).expect("readable"));
        let mut targets = BTreeSet::new();
        for path in named_paths(&code, &module) {
            let target = (1..=path.len()).rev().find_map(|n| by_module.get(&path[..n]));
            if let Some(target) = target.filter(|t| *t != file) {
                let declares = file.ends_with("mod.rs") || file.ends_with("lib.rs");
                if !(declares && module_of(target).starts_with(&module)) {
                    targets.insert(target.clone());
                }
            }
        }
        graph.insert(file.clone(), targets);
    }
    graph
}

/// Files that import each other, directly or through others.
fn cycles(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    let reach = |from: &PathBuf| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(file) = todo.pop() {
            for next in &graph[&file] {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&PathBuf, BTreeSet<PathBuf>> = graph.keys().map(|f| (f, reach(f))).collect();
    let mut found: Vec<Vec<PathBuf>> = Vec::new();
    for (file, reached) in &reaches {
        if reached.contains(*file) {
            let cycle: Vec<PathBuf> = reached
                .iter()
                .filter(|other| reaches[other].contains(*file))
                .cloned()
                .collect();
            if !found.contains(&cycle) {
                found.push(cycle);
            }
        }
    }
    found
}

fn crate_sources(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name).join("src")
}

#[test]
fn no_file_imports_one_that_imports_it_back() {
    for name in ["edgegate", "edgegate-worker"] {
        let found = cycles(&imports(&crate_sources(name)));
        assert!(found.is_empty(), "{name}: files importing each other: {found:?}");
    }
}

#[test]
fn imports_point_down_the_layers() {
    let root = crate_sources("edgegate");
    let top = |file: &Path| module_of(file).first().cloned().unwrap_or_default();
    let mut upward = Vec::new();
    for (file, targets) in imports(&root) {
        let from = top(&file);
        if from.is_empty() {
            continue; // lib.rs declares every module
        }
        let Some(from_rank) = rank(&from) else {
            panic!("`{from}` is in no layer: add it to LAYERS");
        };
        for target in targets {
            let to = top(&target);
            if to != from && rank(&to).is_none_or(|to_rank| to_rank >= from_rank) {
                upward.push(format!("{} -> {}", file.display(), target.display()));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports up or across the layers:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_check_sees_what_it_checks() {
    // The parser finds braces, `super` and nested paths, so a missed import
    // cannot pass for a clean layer.
    let module = vec!["policy".to_owned(), "traffic".to_owned(), "quota".to_owned()];
    let paths = named_paths(
        "use super::settings::{window_name, QuotaWindow};\nuse crate::http::Request;",
        &module,
    );
    assert!(paths.contains(&vec![
        "policy".into(),
        "traffic".into(),
        "settings".into(),
        "window_name".into()
    ]));
    assert!(paths.contains(&vec!["http".into(), "Request".into()]));
    let graph = imports(&crate_sources("edgegate"));
    let gateway = &graph[Path::new("gateway/mod.rs")];
    assert!(gateway.contains(Path::new("plan/mod.rs")), "{gateway:?}");
    let mut looped = graph.clone();
    looped
        .get_mut(Path::new("plan/mod.rs"))
        .unwrap()
        .insert(PathBuf::from("gateway/mod.rs"));
    assert!(!cycles(&looped).is_empty());
}
