//! The graph between the top-level modules of `src/` has no cycle (issue 13). A module is
//! `src/x.rs` with everything under `src/x/`; it depends on `y` when its code names
//! `crate::y` (in a `use` or a path, `crate::{y, …}` groups included, `super::` climbing to
//! the crate root too, and names `lib.rs` re-exports count for their module). Comments and
//! string literals do not count. `cargo test --test module_graph -- --nocapture` prints the
//! graph, lowest modules first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

#[test]
fn top_level_modules_of_src_form_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_graph(&src);
    assert!(graph.len() > 5, "too few modules found: {graph:?}");
    println!("{}", render(&graph));
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "the top-level modules of src/ depend on each other in a cycle: {}\n\
             (move the type one of them needs further down; see STYLE.md, \"Layers\")\n{}",
            cycle.join(" -> "),
            render(&graph)
        );
    }
}

/// Every top-level module of `src` (lib.rs and main.rs are the root, not modules) with the
/// top-level modules it names.
fn module_graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|f| module_path(src, f))
        .filter_map(|path| path.first().cloned())
        .collect();
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap_or_default();
    let reexports = reexports(&strip(&lib), &modules);
    let mut graph: Graph = modules
        .iter()
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    for file in &files {
        let Some(path) = module_path(src, file) else {
            continue;
        };
        let text = std::fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let deps = graph.entry(path[0].clone()).or_default();
        for name in crate_names(&strip(&text), &path) {
            let target = reexports.get(&name).cloned().unwrap_or(name);
            if modules.contains(&target) && target != path[0] {
                deps.insert(target);
            }
        }
    }
    graph
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
}

/// The module path of a file below `src` (`src/api/mod.rs` is `[api]`, `src/store/sync.rs`
/// is `[store, sync]`); `None` for the crate root.
fn module_path(src: &Path, file: &Path) -> Option<Vec<String>> {
    let rel = file.strip_prefix(src).ok()?;
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop()?;
    let stem = last.strip_suffix(".rs")?.to_owned();
    if parts.is_empty() && (stem == "lib" || stem == "main") {
        return None;
    }
    if stem != "mod" {
        parts.push(stem);
    }
    Some(parts)
}

/// Names `lib.rs` re-exports (`pub use config::Config;`), with the module each comes from.
fn reexports(lib: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for statement in lib.split(';') {
        let Some(rest) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let rest = rest.trim().trim_start_matches("crate::");
        let Some((module, _)) = rest.split_once("::") else {
            continue;
        };
        if !modules.contains(module) {
            continue;
        }
        let name = rest.rsplit(" as ").next().unwrap_or(rest);
        let name = name.rsplit("::").next().unwrap_or(name).trim();
        if name.chars().all(is_ident) && !name.is_empty() {
            out.insert(name.to_owned(), module.to_owned());
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Rust source without comments and without the contents of string and character literals
/// (each replaced by a space), so that only code is left to search.
fn strip(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let prev_ident = |i: usize| i > 0 && is_ident(chars[i - 1]);
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if let Some(after) = raw_string_start(&chars, i)
            .filter(|_| !prev_ident(i) || (i >= 1 && chars[i - 1] == 'b' && !prev_ident(i - 1)))
        {
            // r"…", r#"…"#, br"…": ends at a quote followed by as many hashes.
            let hashes = after - i - 2;
            i = after;
            while i < chars.len() {
                if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
                    i += 1 + hashes;
                    break;
                }
                i += 1;
            }
            out.push(' ');
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push(' ');
        } else if c == '\'' && next == Some('\\') {
            // '\n', '\'', '\u{…}'
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push(' ');
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            i += 3;
            out.push(' ');
        } else {
            // Code, and lifetimes ('a), which are code too.
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Where the text of a raw string starting at `i` (`r"`, `r#"`, …) begins.
fn raw_string_start(chars: &[char], i: usize) -> Option<usize> {
    if chars[i] != 'r' {
        return None;
    }
    let mut j = i + 1;
    while chars.get(j) == Some(&'#') {
        j += 1;
    }
    (chars.get(j) == Some(&'"')).then_some(j + 1)
}

/// The first name after each path into the crate root: `crate::x`, each item of
/// `crate::{x, y::z}`, and `super::…` that climbs from `module` (its module path) to the root.
fn crate_names(code: &str, module: &[String]) -> Vec<String> {
    let tokens = tokenize(code);
    let mut names = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let rest = match tokens[i].as_str() {
            "crate" => Some(i + 1),
            "super" if i == 0 || tokens[i - 1] != "::" => {
                // Climb: each `super` leaves one module; from a top-level module, the first
                // one reaches the root.
                let mut depth = module.len();
                let mut j = i;
                loop {
                    depth = depth.saturating_sub(1);
                    if tokens.get(j + 1).map(String::as_str) == Some("::")
                        && tokens.get(j + 2).map(String::as_str) == Some("super")
                    {
                        j += 2;
                    } else {
                        break;
                    }
                }
                i = j;
                (depth == 0).then_some(j + 1)
            }
            _ => None,
        };
        if let Some(k) = rest {
            if tokens.get(k).map(String::as_str) == Some("::") {
                match tokens.get(k + 1).map(String::as_str) {
                    Some("{") => names.extend(group_heads(&tokens[k + 2..])),
                    Some(name) if name.chars().all(is_ident) => names.push(name.to_owned()),
                    _ => {}
                }
            }
        }
        i += 1;
    }
    names
}

/// The first name of each item in a `{ … }` group (its tokens after the `{`).
fn group_heads(tokens: &[String]) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut at_item_start = true;
    for token in tokens {
        match token.as_str() {
            "{" => depth += 1,
            "}" if depth == 0 => break,
            "}" => depth -= 1,
            "," if depth == 0 => at_item_start = true,
            name if at_item_start && depth == 0 => {
                if name.chars().all(is_ident) && name != "self" {
                    heads.push(name.to_owned());
                }
                at_item_start = false;
            }
            _ => {}
        }
    }
    heads
}

/// Identifiers, `::`, and single punctuation characters.
fn tokenize(code: &str) -> Vec<String> {
    let chars: Vec<char> = code.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_ident(c) {
            let start = i;
            while i < chars.len() && is_ident(chars[i]) {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            tokens.push("::".to_owned());
            i += 2;
        } else {
            if !c.is_whitespace() {
                tokens.push(c.to_string());
            }
            i += 1;
        }
    }
    tokens
}

/// One cycle of the graph (its first module repeated at the end), if there is one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    fn visit<'a>(
        node: &'a str,
        graph: &'a Graph,
        marks: &mut BTreeMap<&'a str, Mark>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        marks.insert(node, Mark::OnPath);
        path.push(node);
        for next in graph.get(node).into_iter().flatten() {
            match marks.get(next.as_str()).copied().unwrap_or(Mark::New) {
                Mark::OnPath => {
                    let from = path.iter().position(|m| *m == next)?;
                    let mut cycle: Vec<String> =
                        path[from..].iter().map(|m| (*m).to_owned()).collect();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(cycle) = visit(next, graph, marks, path) {
                        return Some(cycle);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(node, Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if marks.get(node.as_str()).copied().unwrap_or(Mark::New) == Mark::New {
            if let Some(cycle) = visit(node, graph, &mut marks, &mut Vec::new()) {
                return Some(cycle);
            }
        }
    }
    None
}

/// The graph one module a line, each after everything it uses (modules in a cycle, or above
/// one, cannot be: they are marked `*` and listed last).
fn render(graph: &Graph) -> String {
    let mut placed: Vec<&str> = Vec::new();
    let mut left: BTreeSet<&str> = graph.keys().map(String::as_str).collect();
    loop {
        let ready: Vec<&str> = left
            .iter()
            .copied()
            .filter(|m| graph[*m].iter().all(|d| !left.contains(d.as_str())))
            .collect();
        if ready.is_empty() {
            break;
        }
        for m in ready {
            left.remove(m);
            placed.push(m);
        }
    }
    let width = graph.keys().map(String::len).max().unwrap_or(0) + 1;
    let mut out = String::from("module graph of src/ (lowest first):\n");
    let line = |m: &str, mark: &str| {
        let deps: Vec<&str> = graph[m].iter().map(String::as_str).collect();
        format!("  {:width$} -> {}\n", format!("{m}{mark}"), deps.join(", "))
    };
    for m in placed {
        out.push_str(&line(m, ""));
    }
    for m in left {
        out.push_str(&line(m, "*"));
    }
    out
}

// ---- the check itself ------------------------------------------------------------------------

fn graph_of(edges: &[(&str, &[&str])]) -> Graph {
    edges
        .iter()
        .map(|(m, deps)| {
            let deps = deps.iter().map(|d| (*d).to_owned()).collect();
            ((*m).to_owned(), deps)
        })
        .collect()
}

#[test]
fn a_cycle_is_found_and_named() {
    let graph = graph_of(&[
        ("api", &["state", "model"]),
        ("state", &["auth"]),
        ("auth", &["model", "api"]),
        ("model", &[]),
    ]);
    assert_eq!(
        find_cycle(&graph),
        Some(
            vec!["api", "state", "auth", "api"]
                .into_iter()
                .map(String::from)
                .collect()
        )
    );
    assert!(render(&graph).contains("api*"), "{}", render(&graph));
    let graph = graph_of(&[("a", &["b"]), ("b", &["c"]), ("c", &[])]);
    assert_eq!(find_cycle(&graph), None);
}

#[test]
fn references_are_found_in_code_only() {
    let code = r##"
        //! See [`crate::doc_only`].
        use crate::error::ApiError;
        use crate::{model::Link, store, self};
        fn f() -> crate::validate::X { crate::config::Config::default(); "crate::in_string" }
        /* crate::in_block /* nested */ crate::still_comment */
        const Q: char = '"'; const C: &str = r#"crate::raw " still"#; let l: &'static str;
        fn g() { super::super::up::f(); super::sibling(); crate::after_literals(); }
    "##;
    let code = strip(code);
    let names = crate_names(&code, &["api".to_owned(), "links".to_owned()]);
    assert_eq!(
        names,
        [
            "error",
            "model",
            "store",
            "validate",
            "config",
            "up",
            "after_literals"
        ]
    );
    // From a top-level module one `super` reaches the root.
    assert_eq!(crate_names("super::app::X", &["auth".to_owned()]), ["app"]);
    assert_eq!(
        crate_names("super::X", &["api".to_owned(), "links".to_owned()]),
        Vec::<String>::new()
    );
}
