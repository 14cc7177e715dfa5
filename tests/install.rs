//! `make install` and the projects that use what it installs.
//!
//! * `installed_tree_*`: `make install PREFIX=<tmp>` (and once more with `DESTDIR`), the layout
//!   it writes (soname links, no debug info, the header of this build's capacity), the outside
//!   project `examples-c/installed/` built against it with pkg-config (shared and static) and
//!   with CMake's `find_package(vireg)` (shared and static), the CMake package's version
//!   checks, then `make uninstall`, which must leave no file behind.
//! * `vendored_cmake_project`: `examples-c/cmake/`, a CMake project that builds vireg from
//!   source with ExternalProject (`make dist`) and links the same program.
//!
//! Every program prints a posterior that must be the Rust API's on the same rows. The inner
//! Cargo builds share one target directory under `CARGO_TARGET_TMPDIR`, so the second of them
//! finds the libraries built. A missing tool (make, cc, cmake, pkg-config, readelf) fails the
//! tests: install them with `scripts/host-deps.sh`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use vireg::ffi::MAX_FEATURES;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn work_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("install")
}

/// Cargo's target directory for the inner builds (`make install`, the ExternalProject).
fn cargo_target_dir() -> PathBuf {
    work_dir().join("cargo")
}

/// A fresh, empty directory `name` under [`work_dir`].
fn fresh_dir(name: &str) -> PathBuf {
    let dir = work_dir().join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

/// A command without the outer cargo's or make's settings that would redirect the inner build
/// (flags, wrappers, job servers), with the inner builds' target directory and this cargo.
fn command(program: &str) -> Command {
    let mut c = Command::new(program);
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_TARGET_DIR",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_MAKEFLAGS",
        "MAKEFLAGS",
        "MFLAGS",
        "MAKELEVEL",
        "PKG_CONFIG_PATH",
        "CMAKE_PREFIX_PATH",
    ] {
        c.env_remove(var);
    }
    c.env("CARGO_TARGET_DIR", cargo_target_dir());
    // This build's capacity, set (not inherited) so every inner build sees the same value and
    // Cargo builds the libraries once.
    c.env("VIREG_MAX_FEATURES", MAX_FEATURES.to_string());
    if let Some(cargo) = std::env::var_os("CARGO") {
        c.env("CARGO", cargo);
    }
    c
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {cmd:?}: {e} (install the host tools: scripts/host-deps.sh)")
    });
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(cmd: &mut Command) -> String {
    String::from_utf8(run(cmd).stdout).expect("utf-8 output")
}

/// `make -C <vireg> TARGET VARS...`.
fn make_vireg(target: &str, vars: &[(&str, &Path)]) {
    let mut make = command("make");
    make.arg("-C").arg(manifest_dir()).arg(target);
    for (k, v) in vars {
        make.arg(format!("{k}={}", v.display()));
    }
    run(&mut make);
}

/// What `examples-c/installed/demo.c` prints (P = 3, N = 300, seed 7), through the Rust API.
fn demo_output() -> String {
    let (p, n) = (3, 300);
    let mut s = format!("capacity {MAX_FEATURES}\nposterior ({n} rows):\n");
    s.push_str(&common::synth_posterior_table::<MAX_FEATURES>(p, n, 7));
    s
}

/// Runs the demo program `exe` and checks its output; returns the shared libraries it needs.
fn check_demo(exe: &Path) -> Vec<String> {
    assert_eq!(
        stdout(&mut Command::new(exe)),
        demo_output(),
        "{}",
        exe.display()
    );
    needed(exe)
}

/// The DT_NEEDED entries of an ELF file.
fn needed(file: &Path) -> Vec<String> {
    stdout(Command::new("readelf").arg("-d").arg(file))
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| Some(l.split_once('[')?.1.trim_end_matches(']').to_string()))
        .collect()
}

/// The soname `make install` and build.rs give the shared library.
fn soname() -> String {
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    let minor = env!("CARGO_PKG_VERSION_MINOR");
    if major == "0" {
        format!("libvireg.so.0.{minor}")
    } else {
        format!("libvireg.so.{major}")
    }
}

/// Every file and symbolic link under `dir`, relative to it, sorted (directories left out).
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let path = e.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Builds `examples-c/installed/` with its Makefile (pkg-config finding only `prefix`'s
/// vireg.pc) into `build`; returns the program.
fn build_with_pkg_config(prefix: &Path, build: &Path, stat: bool) -> PathBuf {
    let pc_dir = prefix.join("lib").join("pkgconfig");
    let pc = |args: &[&str]| {
        stdout(
            command("pkg-config")
                .args(args)
                .env("PKG_CONFIG_LIBDIR", &pc_dir),
        )
        .trim()
        .to_string()
    };
    assert_eq!(pc(&["--modversion", "vireg"]), env!("CARGO_PKG_VERSION"));
    assert_eq!(
        pc(&["--variable=max_features", "vireg"]),
        MAX_FEATURES.to_string()
    );
    let libs = pc(&["--static", "--libs", "vireg"]);
    assert!(
        libs.contains("-lvireg") && libs.contains("-lpthread"),
        "{libs}"
    );
    run(command("make")
        .arg("-C")
        .arg(manifest_dir().join("examples-c").join("installed"))
        .arg(format!("BUILD={}", build.display()))
        .arg(if stat { "STATIC=1" } else { "STATIC=" })
        .env("PKG_CONFIG_LIBDIR", &pc_dir));
    build.join("demo")
}

/// Configures and builds a CMake project.
fn cmake_build(source: &Path, build: &Path, defs: &[String]) {
    run(command("cmake")
        .arg("-S")
        .arg(source)
        .arg("-B")
        .arg(build)
        .args(defs));
    run(command("cmake").arg("--build").arg(build));
}

/// Whether `find_package(vireg <request>)` succeeds against `prefix`.
fn cmake_finds(prefix: &Path, request: &str) -> bool {
    let dir = fresh_dir(&format!("find-{}", request.replace(' ', "-")));
    std::fs::write(
        dir.join("CMakeLists.txt"),
        format!(
            "cmake_minimum_required(VERSION 3.13)\nproject(probe NONE)\n\
             find_package(vireg {request} QUIET)\nmessage(STATUS \"found: ${{vireg_FOUND}}\")\n"
        ),
    )
    .unwrap();
    let out = stdout(
        command("cmake")
            .arg("-S")
            .arg(&dir)
            .arg("-B")
            .arg(dir.join("build"))
            .arg(format!("-DCMAKE_PREFIX_PATH={}", prefix.display())),
    );
    if out.contains("found: 1") {
        true
    } else if out.contains("found: 0") {
        false
    } else {
        panic!("find_package(vireg {request}): {out}")
    }
}

/// `readelf -S` of `file` names no debug section.
fn assert_no_debug_info(file: &Path) {
    let sections = stdout(Command::new("readelf").arg("-S").arg("-W").arg(file));
    assert!(
        sections.contains(".text"),
        "readelf -S {}: {sections}",
        file.display()
    );
    assert!(
        !sections.contains(".debug_"),
        "{} carries debug info",
        file.display()
    );
}

#[test]
fn installed_tree_pkg_config_and_cmake() {
    let prefix = fresh_dir("prefix");
    make_vireg("install", &[("PREFIX", &prefix)]);

    // The layout.
    let so = soname();
    let real = format!("libvireg.so.{}", env!("CARGO_PKG_VERSION"));
    let mut want = vec![
        "include/vireg.h".to_string(),
        "lib/cmake/vireg/viregConfig.cmake".to_string(),
        "lib/cmake/vireg/viregConfigVersion.cmake".to_string(),
        "lib/libvireg.a".to_string(),
        "lib/libvireg.so".to_string(),
        format!("lib/{so}"),
        format!("lib/{real}"),
        "lib/pkgconfig/vireg.pc".to_string(),
    ];
    want.sort();
    assert_eq!(files_under(&prefix), want);
    let lib = prefix.join("lib");
    assert_eq!(
        std::fs::read_link(lib.join("libvireg.so")).unwrap(),
        Path::new(&so)
    );
    assert_eq!(std::fs::read_link(lib.join(&so)).unwrap(), Path::new(&real));
    let dynamic = stdout(Command::new("readelf").arg("-d").arg(lib.join(&real)));
    assert!(
        dynamic.contains(&format!("Library soname: [{so}]")),
        "{dynamic}"
    );
    for file in [lib.join(&real), lib.join("libvireg.a")] {
        assert_no_debug_info(&file);
    }
    // The header of this build's capacity.
    let header = |p: &Path| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        header(&prefix.join("include").join("vireg.h")),
        header(&Path::new(env!("OUT_DIR")).join("vireg.h"))
    );

    // pkg-config: shared (the soname recorded), then static (no libvireg at run time).
    let exe = build_with_pkg_config(&prefix, &fresh_dir("pc-shared"), false);
    assert!(check_demo(&exe).contains(&so), "{}", exe.display());
    let exe = build_with_pkg_config(&prefix, &fresh_dir("pc-static"), true);
    assert!(!check_demo(&exe).iter().any(|n| n.starts_with("libvireg")));

    // CMake: find_package(vireg 0.1), vireg::vireg shared by default, static on request.
    let source = manifest_dir().join("examples-c").join("installed");
    for stat in [false, true] {
        let build = fresh_dir(if stat { "cmake-static" } else { "cmake-shared" });
        cmake_build(
            &source,
            &build,
            &[
                format!("-DCMAKE_PREFIX_PATH={}", prefix.display()),
                format!(
                    "-DVIREG_USE_STATIC_LIBS={}",
                    if stat { "ON" } else { "OFF" }
                ),
            ],
        );
        let libs = check_demo(&build.join("demo"));
        assert_eq!(libs.contains(&so), !stat, "{libs:?}");
    }
    // The version file: this version and older ones of the same series; not the next series.
    let (major, minor) = (
        env!("CARGO_PKG_VERSION_MAJOR").parse::<u32>().unwrap(),
        env!("CARGO_PKG_VERSION_MINOR").parse::<u32>().unwrap(),
    );
    assert!(cmake_finds(&prefix, &format!("{major}.{minor}")));
    assert!(cmake_finds(
        &prefix,
        &format!("{} EXACT", env!("CARGO_PKG_VERSION"))
    ));
    assert!(!cmake_finds(&prefix, &format!("{major}.{}", minor + 1)));
    assert!(!cmake_finds(&prefix, &format!("{}", major + 1)));
    if major == 0 && minor > 0 {
        // 0.x: another minor version is another ABI.
        assert!(!cmake_finds(&prefix, &format!("0.{}", minor - 1)));
    }

    // DESTDIR stages the same files under it (the paths written into them are PREFIX's).
    let stage = fresh_dir("stage");
    let usr = Path::new("/usr/local");
    make_vireg("install", &[("DESTDIR", &stage), ("PREFIX", usr)]);
    let staged = stage.join("usr").join("local");
    assert_eq!(files_under(&staged), want);
    let pc = header(&staged.join("lib").join("pkgconfig").join("vireg.pc"));
    assert!(pc.contains("prefix=/usr/local\n"), "{pc}");
    make_vireg("uninstall", &[("DESTDIR", &stage), ("PREFIX", usr)]);
    assert_eq!(files_under(&stage), Vec::<String>::new());

    make_vireg("uninstall", &[("PREFIX", &prefix)]);
    assert_eq!(files_under(&prefix), Vec::<String>::new());
}

#[test]
fn vendored_cmake_project() {
    let build = fresh_dir("vendored");
    cmake_build(
        &manifest_dir().join("examples-c").join("cmake"),
        &build,
        &[
            format!("-DVIREG_CARGO_TARGET_DIR={}", cargo_target_dir().display()),
            format!("-DVIREG_MAX_FEATURES={MAX_FEATURES}"),
        ],
    );
    let libs = check_demo(&build.join("demo"));
    assert!(!libs.iter().any(|n| n.starts_with("libvireg")), "{libs:?}");
}
