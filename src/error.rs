//! The kernel's error type. Every fallible call returns one of these and, when it does,
//! leaves the state it was given exactly as it was before the call.

#![forbid(unsafe_code)]

use core::ffi::CStr;
use core::fmt;

/// What went wrong. The discriminants are stable: the C ABI returns them as status codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Error {
    /// A value was NaN or ±∞ where a finite number is required (a data row, a configuration value).
    NonFinite = 1,
    /// A slice had the wrong length for the number of features (or a stride was too short).
    Dimension = 2,
    /// The number of features is zero or larger than the compile-time capacity.
    Features = 3,
    /// A configuration value is out of its documented range (e.g. a prior scale ≤ 0).
    Config = 4,
    /// A step would have made the loss or a parameter non-finite; it was undone.
    /// Lower the learning rate (or rescale the data) and go on.
    Diverged = 5,
    /// A row, batch or merge would take the data summary past this precision's range (yᵀy or a
    /// column's sum of squares above MAX/2²⁰: docs/summary-limits.md), a result left the range,
    /// or the row count would pass 2⁶⁴ − 1. Rescale the data.
    Overflow = 6,
    /// The exact solver did not converge within its iteration limit.
    NotConverged = 7,
    /// Two summaries with different numbers of features cannot be merged.
    Mismatch = 8,
    /// The buffer given to save a checkpoint into is too small.
    BufferTooSmall = 9,
    /// A checkpoint is not a vireg checkpoint, or was written by another version.
    BadCheckpoint = 10,
    /// A checkpoint's checksum does not match: its bytes were corrupted.
    Checksum = 11,
    /// A checkpoint was written for another precision, another feature capacity or the other
    /// guide family.
    Incompatible = 12,
    /// The answer is not trustworthy in this precision: the data are too ill-conditioned
    /// (see README, "Numerical limits"). Use f64, or centre and scale the features.
    IllConditioned = 13,
    /// Nothing has been fitted yet: the posterior would be the untrained starting guess. Fit
    /// first ([`Fit::solve_exact`](crate::Fit::solve_exact), a step or a run; see
    /// [`Fit::is_fitted`](crate::Fit::is_fitted)).
    NotFitted = 14,
    /// A checkpoint is truncated: the buffer holds fewer bytes than the checkpoint's header
    /// records (or not even the whole header).
    Truncated = 15,
}

impl Error {
    /// Every error, in discriminant order (1, 2, …).
    pub const ALL: [Error; 15] = [
        Error::NonFinite,
        Error::Dimension,
        Error::Features,
        Error::Config,
        Error::Diverged,
        Error::Overflow,
        Error::NotConverged,
        Error::Mismatch,
        Error::BufferTooSmall,
        Error::BadCheckpoint,
        Error::Checksum,
        Error::Incompatible,
        Error::IllConditioned,
        Error::NotFitted,
        Error::Truncated,
    ];

    /// The description, NUL-terminated: the one table of these texts (the C ABI's
    /// `vireg_status_str` returns it, [`Error::as_str`] is it without the NUL).
    pub const fn as_cstr(self) -> &'static CStr {
        match self {
            Error::NonFinite => c"a value is NaN or infinite",
            Error::Dimension => c"wrong length or stride for the number of features",
            Error::Features => c"number of features is zero or above the capacity",
            Error::Config => c"configuration value out of range",
            Error::Diverged => c"step diverged (non-finite loss or parameter) and was undone",
            Error::Overflow => c"result out of this precision's range",
            Error::NotConverged => c"exact solver did not converge",
            Error::Mismatch => c"summaries have different numbers of features",
            Error::BufferTooSmall => c"buffer too small",
            Error::BadCheckpoint => c"not a vireg checkpoint of this version",
            Error::Checksum => c"checkpoint checksum mismatch (corrupted bytes)",
            Error::Incompatible => c"checkpoint for another precision/capacity/guide",
            Error::IllConditioned => c"data too ill-conditioned for this precision",
            Error::NotFitted => c"nothing fitted yet: solve, step or run first",
            Error::Truncated => c"checkpoint truncated: fewer bytes than its header records",
        }
    }

    /// A short, static, human-readable description.
    pub const fn as_str(self) -> &'static str {
        match core::str::from_utf8(self.as_cstr().to_bytes()) {
            Ok(s) => s,
            // Unreachable: every text above is ASCII (checked at compile time below).
            Err(_) => "",
        }
    }
}

// Every description is non-empty UTF-8, and `ALL` lists the errors in discriminant order.
const _: () = {
    let mut i = 0;
    while i < Error::ALL.len() {
        assert!(Error::ALL[i] as i32 == i as i32 + 1);
        assert!(!Error::ALL[i].as_str().is_empty());
        i += 1;
    }
};

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Result alias of the crate.
pub type Result<T> = core::result::Result<T, Error>;
