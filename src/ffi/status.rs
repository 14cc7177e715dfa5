//! The status type and codes, their texts, and the functions about the library as a whole.
//!
//! The texts of the kernel's errors (1..=15) are the kernel's one table of them,
//! [`Error::as_cstr`]; the FFI's own statuses (0 and 100 and up) have theirs in
//! [`vireg_status_str`].

use super::state::MAX_FEATURES;
use crate::Error;
use core::ffi::{c_char, CStr};

/// Status returned by every fallible function: VIREG_OK (0) on success, otherwise one of the
/// VIREG_ERR_* values below. The values are stable across versions; vireg_status_str() gives a
/// short description of each.
pub type vireg_status = i32;

/// Success.
pub const VIREG_OK: vireg_status = 0;
/// A value is NaN or ±infinity where a finite number is required (a data row, a configuration
/// value, a quantile level).
pub const VIREG_ERR_NON_FINITE: vireg_status = 1;
/// A length does not match the state: a row's n_features differs from the fit's number of
/// features, a row stride is shorter than a row, an output buffer is too short, a parameter
/// index is past the last parameter, or a length is too large to address.
pub const VIREG_ERR_DIMENSION: vireg_status = 2;
/// The number of features is zero or above the capacity VIREG_MAX_FEATURES.
pub const VIREG_ERR_FEATURES: vireg_status = 3;
/// A configuration value is outside its documented range (e.g. a prior scale <= 0, an unknown
/// estimator, zero particles, a learning rate <= 0).
pub const VIREG_ERR_CONFIG: vireg_status = 4;
/// An SVI step would have made the loss or a parameter non-finite; that step was undone. Lower
/// the learning rate (vireg_set_learning_rate_*) or rescale the data, and go on.
pub const VIREG_ERR_DIVERGED: vireg_status = 5;
/// A row, batch or merge would take the data summary past the precision's range (y'y or a
/// column's sum of squares above MAX/2^20, about 3.2e32 in f32 and 1.7e302 in f64: single values
/// up to about 1.8e16 and 1.3e151), a result leaves the range, or the row count would pass
/// 2^64 - 1 (rescale the data, or use _f64).
pub const VIREG_ERR_OVERFLOW: vireg_status = 6;
/// The exact solver did not converge within its iteration limit.
pub const VIREG_ERR_NOT_CONVERGED: vireg_status = 7;
/// Two fits with different numbers of features cannot be merged.
pub const VIREG_ERR_MISMATCH: vireg_status = 8;
/// The buffer given to vireg_save_* is too small (see vireg_checkpoint_size_*).
pub const VIREG_ERR_BUFFER_TOO_SMALL: vireg_status = 9;
/// The bytes are not a vireg checkpoint, or one written by an incompatible version.
pub const VIREG_ERR_BAD_CHECKPOINT: vireg_status = 10;
/// A checkpoint's checksum does not match: its bytes were corrupted.
pub const VIREG_ERR_CHECKSUM: vireg_status = 11;
/// A checkpoint was written for the other precision, for another capacity or for the other
/// guide family (mean-field vireg_fit_* or full-rank vireg_full_*).
pub const VIREG_ERR_INCOMPATIBLE: vireg_status = 12;
/// The answer would not be trustworthy in this precision: the data are too ill-conditioned.
/// Use the _f64 functions, or centre and scale the features.
pub const VIREG_ERR_ILL_CONDITIONED: vireg_status = 13;
/// Nothing has been fitted yet (no successful solve_exact, step or run, nor a fitted checkpoint
/// loaded): the posterior would be the untrained starting guess. Observing rows after a fit does
/// not clear it (the posterior is then that of the earlier rows until the next fit).
pub const VIREG_ERR_NOT_FITTED: vireg_status = 14;
/// A checkpoint is truncated: the buffer holds fewer bytes than its header records (or not
/// even the whole header).
pub const VIREG_ERR_TRUNCATED: vireg_status = 15;
/// A required pointer argument is NULL.
pub const VIREG_ERR_NULL: vireg_status = 100;
/// The state is not initialised: zero-filled, never passed to an init/load function, marked so
/// after VIREG_ERR_PANIC, or initialised for the other precision (or passed as the wrong kind
/// of state).
pub const VIREG_ERR_UNINITIALISED: vireg_status = 101;
/// The fit is in use by a vireg_run_* in progress: a progress callback called a function on the
/// fit being run. Nothing was done.
pub const VIREG_ERR_BUSY: vireg_status = 102;
/// A pointer is not aligned for its type (a state needs 8-byte alignment, arrays that of their
/// elements).
pub const VIREG_ERR_MISALIGNED: vireg_status = 103;
/// An argument is outside its documented range (e.g. zero steps, a quantile level outside
/// (0, 1)).
pub const VIREG_ERR_INVALID_ARGUMENT: vireg_status = 104;
/// Internal error (a bug in vireg, please report it). The state being changed, if any, is now
/// marked not initialised.
pub const VIREG_ERR_PANIC: vireg_status = 105;
/// The caller's state type has another size than the library's: the header and the library
/// were built for different VIREG_MAX_FEATURES. Nothing was written. Build both from the same
/// configuration (compare vireg_max_features() with the header's VIREG_MAX_FEATURES).
pub const VIREG_ERR_STATE_SIZE: vireg_status = 106;

// The status constants are the kernel's discriminants (in `Error::ALL`'s order, 1, 2, …).
const _: () = {
    let codes = [
        VIREG_ERR_NON_FINITE,
        VIREG_ERR_DIMENSION,
        VIREG_ERR_FEATURES,
        VIREG_ERR_CONFIG,
        VIREG_ERR_DIVERGED,
        VIREG_ERR_OVERFLOW,
        VIREG_ERR_NOT_CONVERGED,
        VIREG_ERR_MISMATCH,
        VIREG_ERR_BUFFER_TOO_SMALL,
        VIREG_ERR_BAD_CHECKPOINT,
        VIREG_ERR_CHECKSUM,
        VIREG_ERR_INCOMPATIBLE,
        VIREG_ERR_ILL_CONDITIONED,
        VIREG_ERR_NOT_FITTED,
        VIREG_ERR_TRUNCATED,
    ];
    assert!(codes.len() == Error::ALL.len());
    let mut i = 0;
    while i < codes.len() {
        assert!(Error::ALL[i] as i32 == codes[i]);
        i += 1;
    }
};

/// The status of a kernel error (its discriminant).
#[inline]
pub(super) fn status(e: Error) -> vireg_status {
    e as vireg_status
}

/// A short, static, human-readable description of a status.
///
/// @param status Any value; unknown values are allowed.
/// @return A NUL-terminated string with static storage duration (never NULL, never to be
///   freed): "ok" for VIREG_OK, a description for each VIREG_ERR_*, "unknown status" otherwise.
#[no_mangle]
pub extern "C" fn vireg_status_str(status: vireg_status) -> *const c_char {
    let s: &'static CStr = match status {
        VIREG_OK => c"ok",
        VIREG_ERR_NULL => c"a required pointer argument is NULL",
        VIREG_ERR_UNINITIALISED => c"state not initialised (or of another precision)",
        VIREG_ERR_BUSY => c"fit in use by a run in progress (called from its progress callback)",
        VIREG_ERR_MISALIGNED => c"pointer not aligned for its type",
        VIREG_ERR_INVALID_ARGUMENT => c"argument out of its documented range",
        VIREG_ERR_PANIC => c"internal error (a bug in vireg); the state was reset",
        VIREG_ERR_STATE_SIZE => {
            c"state size differs from the library's: header and library built for different \
              VIREG_MAX_FEATURES"
        }
        s => match Error::ALL.iter().find(|e| **e as vireg_status == s) {
            Some(e) => e.as_cstr(),
            None => c"unknown status",
        },
    };
    s.as_ptr()
}

/// The library's version, e.g. "0.1.0".
///
/// @return A NUL-terminated string with static storage duration (never NULL, never to be freed).
#[no_mangle]
pub extern "C" fn vireg_version() -> *const c_char {
    const V: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => c"unknown",
        };
    V.as_ptr()
}

/// A decimal component of the crate's version, at compile time (Cargo gives it as text).
const fn version_part(s: &str) -> u32 {
    let b = s.as_bytes();
    let mut v = 0u32;
    let mut i = 0;
    while i < b.len() {
        assert!(b[i].is_ascii_digit(), "a version component is not a number");
        v = v * 10 + (b[i] - b'0') as u32;
        i += 1;
    }
    v
}

/// The library's version (major, minor, patch), from Cargo.toml.
const VERSION: (u32, u32, u32) = {
    let v = (
        version_part(env!("CARGO_PKG_VERSION_MAJOR")),
        version_part(env!("CARGO_PKG_VERSION_MINOR")),
        version_part(env!("CARGO_PKG_VERSION_PATCH")),
    );
    // The packing of vireg_version_number (build.rs writes the header's macros alike).
    assert!(v.0 < 1 << 16 && v.1 < 1 << 8 && v.2 < 1 << 8);
    v
};

/// The library's version as one number, (major << 16) | (minor << 8) | patch: the packing of
/// the header's VIREG_VERSION, so `vireg_version_number() == VIREG_VERSION` holds when the
/// program runs with the library its header came from. vireg_version_compatible() says
/// whether another library is compatible.
///
/// @return The packed version (e.g. 0x000100 for 0.1.0).
#[no_mangle]
pub extern "C" fn vireg_version_number() -> u32 {
    (VERSION.0 << 16) | (VERSION.1 << 8) | VERSION.2
}

/// Whether the library can serve a program compiled against the header of version
/// `major`.`minor`: call it as VIREG_VERSION_COMPATIBLE() (which passes the header's
/// VIREG_VERSION_MAJOR and VIREG_VERSION_MINOR) at start-up, so that a program compiled against
/// one header and linked (statically, or at run time with another libvireg.so) against another
/// library is detected before any state is touched. The rule is Cargo's: the major versions are
/// equal and the library's minor version is at least the header's (a newer library only adds);
/// while the major version is 0, each minor version may change the ABI, so the minor versions
/// must be equal. The patch level does not matter. Separately, vireg_max_features() tells
/// whether the capacity (and so the state sizes) agree. (A predicate, not a vireg_status: the
/// answer is not an error of the library's, and a new status text would cost microcontroller
/// firmware flash in vireg_status_str.)
///
/// @param major The header's VIREG_VERSION_MAJOR.
/// @param minor The header's VIREG_VERSION_MINOR.
/// @return true if compatible, false otherwise (then report vireg_version() and the header's
///   version, and rebuild the program against the library's header).
#[no_mangle]
pub extern "C" fn vireg_version_compatible(major: u32, minor: u32) -> bool {
    let (lib_major, lib_minor, _) = VERSION;
    major == lib_major
        && if major == 0 {
            minor == lib_minor
        } else {
            minor <= lib_minor
        }
}

/// The feature capacity the library was built with (VIREG_MAX_FEATURES). A program can compare
/// it with the header's VIREG_MAX_FEATURES to check that both come from the same build.
///
/// @return The largest number of features a state accepts.
#[no_mangle]
pub extern "C" fn vireg_max_features() -> usize {
    MAX_FEATURES
}
