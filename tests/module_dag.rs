//! The source modules form a DAG: no module imports one that imports it back, directly or
//! through others. Read from the source text (no compiler internals): every `crate::…`,
//! `super::…` and `self::…` path in a `use` or in an expression, comments, strings and the unit
//! tests (`mod tests`) left out, resolved to the file that defines the named module. A name the
//! crate root re-exports (`crate::Fit`) counts as its defining module (lib.rs's `pub use`).
//!
//! Nodes are files: `src/math/exp.rs` is `math::exp`, a folder's `mod.rs` the folder. So
//! `real` may use `math::sqrt` (its f32 square root) while `math::exp` uses `real` (the trait).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// A token of Rust source, as far as paths need: identifiers, `::`, braces, `;`, `,`, `*`,
/// anything else as one character; with the line it is on.
#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Id(String),
    Path,
    Open,
    Close,
    Semi,
    Comma,
    Other(char),
}

/// Tokens of `src`, comments, string and character literals and lifetimes dropped.
fn tokens(src: &str) -> Vec<(Tok, usize)> {
    let c: Vec<char> = src.chars().collect();
    let (mut i, mut line, mut out) = (0, 1, Vec::new());
    while i < c.len() {
        let ch = c[i];
        let next = c.get(i + 1).copied();
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(c[i] == '\n');
                    i += 1;
                }
            }
        } else if ch == 'r' && (next == Some('"') || (next == Some('#') && is_raw_string(&c, i))) {
            // r"…", r#"…"#: up to the quote followed by as many hashes.
            let mut j = i + 1;
            let mut hashes = 0;
            while c[j] == '#' {
                hashes += 1;
                j += 1;
            }
            j += 1;
            loop {
                if c[j] == '"' && (0..hashes).all(|h| c.get(j + 1 + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                line += usize::from(c[j] == '\n');
                j += 1;
            }
            i = j;
        } else if ch == '"' {
            i += 1;
            while c[i] != '"' {
                line += usize::from(c[i] == '\n');
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if ch == '\'' {
            // A character literal ('a', '\n', '\u{..}') or a lifetime ('a): skip either.
            if next == Some('\\') {
                i += 2;
                while c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
            }
        } else if ch.is_alphabetic() || ch == '_' {
            let s = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push((Tok::Id(c[s..i].iter().collect()), line));
        } else if ch == ':' && next == Some(':') {
            out.push((Tok::Path, line));
            i += 2;
        } else {
            out.push((
                match ch {
                    '{' => Tok::Open,
                    '}' => Tok::Close,
                    ';' => Tok::Semi,
                    ',' => Tok::Comma,
                    _ => Tok::Other(ch),
                },
                line,
            ));
            i += 1;
        }
    }
    out
}

/// The index of the brace closing the one at `open` (tokens paired with anything).
fn matching_close<X>(t: &[(Tok, X)], open: usize) -> usize {
    let (mut d, mut k) = (0, open);
    loop {
        match t[k].0 {
            Tok::Open => d += 1,
            Tok::Close => {
                d -= 1;
                if d == 0 {
                    return k;
                }
            }
            _ => {}
        }
        k += 1;
    }
}

fn is_raw_string(c: &[char], i: usize) -> bool {
    let mut j = i + 1;
    while c.get(j) == Some(&'#') {
        j += 1;
    }
    c.get(j) == Some(&'"')
}

/// The paths a `use` tree names (`a::{b, c::d}` gives `a::b`, `a::c::d`), as segments.
fn expand_use(t: &[Tok]) -> Vec<Vec<String>> {
    fn tree(t: &[Tok], i: &mut usize, prefix: &[String], out: &mut Vec<Vec<String>>) {
        let mut path = prefix.to_vec();
        while *i < t.len() {
            match &t[*i] {
                Tok::Id(s) if s == "as" => {
                    *i += 2; // `as name`
                    out.push(path.clone());
                    return;
                }
                Tok::Id(s) => {
                    path.push(s.clone());
                    *i += 1;
                }
                Tok::Path | Tok::Other('*') => *i += 1,
                Tok::Open => {
                    *i += 1;
                    while *i < t.len() && t[*i] != Tok::Close {
                        tree(t, i, &path, out);
                        if t.get(*i) == Some(&Tok::Comma) {
                            *i += 1;
                        }
                    }
                    *i += 1;
                    return;
                }
                _ => break,
            }
        }
        out.push(path);
    }
    let mut out = Vec::new();
    let mut i = 0;
    tree(t, &mut i, &[], &mut out);
    out
}

/// Module path of a file under src/ (`math/exp.rs` → [math, exp], `math/mod.rs` → [math]).
fn module_of(rel: &Path) -> Vec<String> {
    let mut segs: Vec<String> = rel
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    let last = segs.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        segs.push(stem.to_string());
    }
    segs
}

fn rs_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The paths one file names, with their lines: (absolute module path segments, line).
fn paths_in(file_mod: &[String], src: &str) -> Vec<(Vec<String>, usize)> {
    let t = tokens(src);
    let (mut out, mut i, mut depth) = (Vec::new(), 0, 0usize);
    // Inline modules (name, depth of their brace): `super` inside one is the file's module.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let here = |inline: &[(String, usize)]| {
        let mut m = file_mod.to_vec();
        m.extend(inline.iter().map(|(n, _)| n.clone()));
        m
    };
    let resolve = |base: &[String], p: &[String]| -> Option<Vec<String>> {
        let mut m = base.to_vec();
        let mut it = p.iter().peekable();
        match it.peek().map(|s| s.as_str()) {
            Some("crate") => {
                m.clear();
                it.next();
            }
            Some("super") => {
                while it.peek().map(|s| s.as_str()) == Some("super") {
                    m.pop()?;
                    it.next();
                }
            }
            Some("self") => {
                it.next();
            }
            _ => return None, // an external crate, core, or a name in scope
        }
        m.extend(it.cloned());
        Some(m)
    };
    while i < t.len() {
        match &t[i].0 {
            Tok::Id(s) if s == "mod" => {
                if let (Some((Tok::Id(name), _)), Some((Tok::Open, _))) =
                    (t.get(i + 1), t.get(i + 2))
                {
                    if name == "tests" {
                        // Unit tests may reach anywhere: skip to the matching brace.
                        i = matching_close(&t, i + 2) + 1;
                        continue;
                    }
                    depth += 1;
                    inline.push((name.clone(), depth));
                    i += 3;
                    continue;
                }
                i += 1;
            }
            Tok::Open => {
                depth += 1;
                i += 1;
            }
            Tok::Close => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth -= 1;
                i += 1;
            }
            Tok::Id(s) if s == "use" => {
                let line = t[i].1;
                let end = (i..t.len()).find(|&j| t[j].0 == Tok::Semi).unwrap();
                let toks: Vec<Tok> = t[i + 1..end].iter().map(|x| x.0.clone()).collect();
                let base = here(&inline);
                for p in expand_use(&toks) {
                    if let Some(abs) = resolve(&base, &p) {
                        out.push((abs, line));
                    }
                }
                i = end + 1;
            }
            Tok::Id(s)
                if (s == "crate" || s == "super" || s == "self")
                    && t.get(i + 1).map(|x| &x.0) == Some(&Tok::Path) =>
            {
                let line = t[i].1;
                let mut p = vec![s.clone()];
                let mut j = i + 1;
                while t.get(j).map(|x| &x.0) == Some(&Tok::Path) {
                    match t.get(j + 1).map(|x| &x.0) {
                        Some(Tok::Id(n)) => {
                            p.push(n.clone());
                            j += 2;
                        }
                        _ => break,
                    }
                }
                if let Some(abs) = resolve(&here(&inline), &p) {
                    out.push((abs, line));
                }
                i = j;
            }
            _ => i += 1,
        }
    }
    out
}

/// The module graph of src/: file module → (used module → first line using it).
fn graph() -> BTreeMap<String, BTreeMap<String, (String, usize)>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    files.sort();
    let modules: BTreeSet<Vec<String>> = files
        .iter()
        .map(|f| module_of(f.strip_prefix(&src).unwrap()))
        .filter(|m| !m.is_empty())
        .collect();
    // The crate root's re-exports: `pub use fit::{Config, Fit, …}` makes `crate::Fit` fit's.
    let lib = fs::read_to_string(src.join("lib.rs")).unwrap();
    let mut root: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (p, _) in paths_in(&[], &lib.replace("pub use ", "pub use self::")) {
        if let Some(name) = p.last() {
            root.insert(name.clone(), p[..p.len() - 1].to_vec());
        }
    }
    let mut g: BTreeMap<String, BTreeMap<String, (String, usize)>> = BTreeMap::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let me = module_of(rel);
        if me.is_empty() {
            continue; // lib.rs: the root declares and re-exports every module
        }
        let text = fs::read_to_string(f).unwrap();
        let edges = g.entry(me.join("::")).or_default();
        for (mut p, line) in paths_in(&me, &text) {
            if !modules.contains(&p[..1]) {
                if let Some(m) = root.get(&p[0]) {
                    p.splice(..1, m.iter().cloned());
                }
            }
            // The longest prefix that is a file's module.
            let Some(target) = (1..=p.len())
                .rev()
                .map(|k| p[..k].to_vec())
                .find(|m| modules.contains(m))
            else {
                continue;
            };
            if target != me {
                edges
                    .entry(target.join("::"))
                    .or_insert_with(|| (rel.display().to_string(), line));
            }
        }
    }
    g
}

#[test]
fn source_modules_form_a_dag() {
    let g = graph();
    assert!(g.len() > 10, "found only {} modules", g.len());
    assert!(
        g["fit"].contains_key("exact"),
        "the parser misses fit's use of exact"
    );
    // Depth-first search; a back edge closes a cycle, printed with where each edge is.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark: BTreeMap<&str, Mark> = g.keys().map(|k| (k.as_str(), Mark::New)).collect();
    let mut cycles = Vec::new();
    let mut order = Vec::new();
    fn visit<'a>(
        n: &'a str,
        g: &'a BTreeMap<String, BTreeMap<String, (String, usize)>>,
        mark: &mut BTreeMap<&'a str, Mark>,
        stack: &mut Vec<&'a str>,
        cycles: &mut Vec<String>,
        order: &mut Vec<&'a str>,
    ) {
        mark.insert(n, Mark::Open);
        stack.push(n);
        for (m, (file, line)) in &g[n] {
            match mark.get(m.as_str()).copied().unwrap_or(Mark::Done) {
                Mark::New => visit(m, g, mark, stack, cycles, order),
                Mark::Open => {
                    let from = stack.iter().position(|s| *s == m).unwrap();
                    let mut c: Vec<String> = stack[from..]
                        .windows(2)
                        .map(|w| {
                            let (f, l) = &g[w[0]][w[1]];
                            format!("{} → {} ({f}:{l})", w[0], w[1])
                        })
                        .collect();
                    c.push(format!("{n} → {m} ({file}:{line})"));
                    cycles.push(c.join("\n    "));
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        mark.insert(n, Mark::Done);
        order.push(n);
    }
    for n in g.keys() {
        if mark[n.as_str()] == Mark::New {
            visit(n, &g, &mut mark, &mut Vec::new(), &mut cycles, &mut order);
        }
    }
    assert!(
        cycles.is_empty(),
        "module cycles (a module imports one that imports it back):\n  {}",
        cycles.join("\n  ")
    );
    // Every module after those it uses.
    for n in &order {
        let deps: Vec<&str> = g[*n].keys().map(|s| s.as_str()).collect();
        eprintln!("{n:<12} uses {}", deps.join(", "));
    }
}

/// Inherent `impl Type` blocks of a file (not `impl Trait for Type`): the type's name, the
/// block's line and the names of the functions it defines; unit tests left out.
fn inherent_impls(src: &str) -> Vec<(String, usize, Vec<String>)> {
    let t = tokens(src);
    let mut out = Vec::new();
    let mut i = 0;
    while i < t.len() {
        match &t[i].0 {
            Tok::Id(k)
                if k == "mod" && t.get(i + 1).map(|x| &x.0) == Some(&Tok::Id("tests".into())) =>
            {
                break; // the unit tests come last in this crate's files
            }
            Tok::Id(k) if k == "impl" => {
                let line = t[i].1;
                let mut j = i + 1;
                if t.get(j).map(|x| &x.0) == Some(&Tok::Other('<')) {
                    let mut d = 0;
                    loop {
                        match t[j].0 {
                            Tok::Other('<') => d += 1,
                            Tok::Other('>') => d -= 1,
                            _ => {}
                        }
                        j += 1;
                        if d == 0 {
                            break;
                        }
                    }
                }
                let Some(Tok::Id(name)) = t.get(j).map(|x| &x.0) else {
                    i += 1;
                    continue;
                };
                let open = (j..t.len()).find(|&k| t[k].0 == Tok::Open).unwrap();
                // The block, to its matching brace.
                let k = matching_close(&t, open);
                if !t[j..open].iter().any(|x| x.0 == Tok::Id("for".into())) {
                    let fns = t[open..k]
                        .windows(2)
                        .filter_map(|w| match (&w[0].0, &w[1].0) {
                            (Tok::Id(f), Tok::Id(n)) if f == "fn" => Some(n.clone()),
                            _ => None,
                        })
                        .collect();
                    out.push((name.clone(), line, fns));
                }
                i = k + 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// Whether `src` calls a function or method named `f` (`.f(`, `::f(`, `.f::<`, `::f::<`).
fn calls(src: &str, f: &str) -> bool {
    let t = tokens(src);
    t.windows(4).any(|w| {
        matches!(w[0].0, Tok::Other('.') | Tok::Path)
            && w[1].0 == Tok::Id(f.into())
            && (w[2].0 == Tok::Other('(') || (w[2].0 == Tok::Path && w[3].0 == Tok::Other('<')))
    })
}

/// Methods a module adds to another module's type (`impl Stats` outside stats.rs) are a
/// dependency the paths do not show: a module below that calls them would close a cycle
/// (`stats` calling a method of `Stats` defined in `condition`, which uses `stats`). Each
/// such block must only be called from above: no module its file depends on, directly or
/// through others, calls one of its functions.
#[test]
fn methods_added_to_other_modules_types_are_only_called_from_above() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    let g = graph();
    let text: BTreeMap<String, String> = files
        .iter()
        .map(|f| {
            let m = module_of(f.strip_prefix(&src).unwrap()).join("::");
            (m, fs::read_to_string(f).unwrap())
        })
        .filter(|(m, _)| !m.is_empty())
        .collect();
    let defines = |m: &str, ty: &str| {
        let t = tokens(&text[m]);
        t.windows(2).any(|w| {
            matches!(&w[0].0, Tok::Id(k) if k == "struct" || k == "enum" || k == "union")
                && w[1].0 == Tok::Id(ty.into())
        })
    };
    let mut wrong = Vec::new();
    let mut foreign = 0;
    for (m, body) in &text {
        for (ty, line, fns) in inherent_impls(body) {
            if defines(m, &ty) || !text.keys().any(|o| defines(o, &ty)) {
                continue;
            }
            foreign += 1;
            // Every module this one depends on.
            let mut below = BTreeSet::new();
            let mut todo: Vec<&str> = g[m].keys().map(|s| s.as_str()).collect();
            while let Some(n) = todo.pop() {
                if below.insert(n) {
                    todo.extend(g[n].keys().map(|s| s.as_str()));
                }
            }
            for n in below.into_iter().filter(|n| n != m) {
                for f in fns.iter().filter(|f| calls(&text[n], f)) {
                    wrong.push(format!(
                        "{n} calls {ty}::{f} of {m} (line {line}), and {m} uses {n}"
                    ));
                }
            }
        }
    }
    assert!(
        foreign > 0,
        "the parser finds no impl outside its type's file"
    );
    assert!(
        wrong.is_empty(),
        "hidden module cycles:\n  {}",
        wrong.join("\n  ")
    );
}

/// The parser itself: paths in `use` trees and expressions, relative to inline modules; not in
/// comments, strings or unit tests.
#[test]
fn paths_are_read_from_source() {
    let a = paths_in(
        &["a".into()],
        concat!(
            "use crate::b::{X, c::Y as Z};\n// use crate::q;\n",
            "fn f() { let s = \"crate::r\"; super::d::g(); }\nmod tests { use crate::e; }",
        ),
    );
    let got: Vec<String> = a
        .iter()
        .map(|(p, l)| format!("{}@{l}", p.join("::")))
        .collect();
    assert_eq!(got, ["b::X@1", "b::c::Y@1", "d::g@3"]);
    let inner = paths_in(
        &["m".into(), "f".into()],
        "mod wide { use super::k; }\nuse super::n;",
    );
    let got: Vec<String> = inner.iter().map(|(p, _)| p.join("::")).collect();
    assert_eq!(got, ["m::f::k", "m::n"]);
}
