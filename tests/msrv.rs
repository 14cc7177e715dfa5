//! `rust-version` in Cargo.toml is a promise to consumers: the library builds with that
//! compiler. Two halves keep it true:
//!
//! * the library's own code: clippy's `incompatible_msrv` lint (on by default, an error under
//!   `make lint`'s `-D warnings`) rejects a standard-library API stabilised after
//!   `rust-version`;
//! * its dependencies: this test walks the resolved dependency graph from `vireg` through its
//!   normal and build dependencies (what a consumer compiles; dev-dependencies such as proptest
//!   are not) and fails if any of them declares a newer `rust-version` than ours.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// `major.minor[.patch]` as a comparable triple.
fn version(s: &str) -> (u64, u64, u64) {
    let mut it = s.split('.').map(|p| {
        p.parse::<u64>()
            .unwrap_or_else(|e| panic!("rust-version {s:?}: {e}"))
    });
    let major = it.next().unwrap_or(0);
    let minor = it.next().unwrap_or(0);
    let patch = it.next().unwrap_or(0);
    (major, minor, patch)
}

#[test]
fn dependencies_build_with_our_rust_version() {
    // The host's graph: the workspace's tools have wasm-only dependencies whose manifests an
    // offline resolve for every platform would have to download; the library has none.
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let vv = Command::new(rustc)
        .arg("-vV")
        .output()
        .expect("run rustc -vV");
    let vv = String::from_utf8_lossy(&vv.stdout);
    let host = vv
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host");
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", host, "--manifest-path"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata JSON");
    let packages: BTreeMap<&str, &Value> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| (p["id"].as_str().expect("id"), p))
        .collect();
    let root = packages
        .values()
        .find(|p| p["name"] == "vireg")
        .expect("the vireg package");
    let ours = root["rust_version"]
        .as_str()
        .expect("Cargo.toml states rust-version");
    let nodes: BTreeMap<&str, &Value> = meta["resolve"]["nodes"]
        .as_array()
        .expect("resolve nodes")
        .iter()
        .map(|n| (n["id"].as_str().expect("id"), n))
        .collect();

    // Breadth-first from vireg over normal and build edges (a dev edge is kind "dev").
    let mut seen = BTreeSet::new();
    let mut todo = vec![root["id"].as_str().expect("id")];
    while let Some(id) = todo.pop() {
        for dep in nodes[id]["deps"].as_array().expect("deps") {
            let consumer_edge = dep["dep_kinds"]
                .as_array()
                .expect("dep_kinds")
                .iter()
                .any(|k| k["kind"].as_str() != Some("dev"));
            let pkg = dep["pkg"].as_str().expect("pkg");
            if consumer_edge && seen.insert(pkg) {
                todo.push(pkg);
            }
        }
    }
    assert!(
        seen.iter().any(|id| packages[id]["name"] == "libm"),
        "the walk must reach libm, a normal dependency"
    );
    let too_new: Vec<String> = seen
        .iter()
        .filter_map(|id| {
            let p = packages[id];
            let theirs = p["rust_version"].as_str()?;
            (version(theirs) > version(ours)).then(|| {
                format!(
                    "{} {} needs {theirs}",
                    p["name"].as_str().unwrap_or("?"),
                    p["version"].as_str().unwrap_or("?")
                )
            })
        })
        .collect();
    assert!(
        too_new.is_empty(),
        "rust-version = {ours}, but a dependency needs more: {too_new:?}"
    );
}
