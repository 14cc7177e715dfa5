//! The kernel's error type. Every fallible call returns one of these and, when it does,
//! leaves the state it was given exactly as it was before the call.

#![forbid(unsafe_code)]

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
    /// A result left the scalar's range: the data are too large (or so small that their squares
    /// underflow) for this precision, or the row count would pass 2⁶⁴ − 1. Rescale the data.
    Overflow = 6,
    /// The exact solver did not converge within its iteration limit.
    NotConverged = 7,
    /// Two summaries with different numbers of features cannot be merged.
    Mismatch = 8,
    /// A checkpoint buffer is too small.
    BufferTooSmall = 9,
    /// A checkpoint is not a vireg checkpoint, or was written by another version.
    BadCheckpoint = 10,
    /// A checkpoint's checksum does not match: the bytes were corrupted or truncated.
    Checksum = 11,
    /// A checkpoint was written for another precision or another feature capacity.
    Incompatible = 12,
    /// The answer is not trustworthy in this precision: the data are too ill-conditioned
    /// (see README, "Numerical limits"). Use f64, or centre and scale the features.
    IllConditioned = 13,
}

impl Error {
    /// A short, static, human-readable description.
    pub const fn as_str(self) -> &'static str {
        match self {
            Error::NonFinite => "a value is NaN or infinite",
            Error::Dimension => "wrong length or stride for the number of features",
            Error::Features => "number of features is zero or above the capacity",
            Error::Config => "configuration value out of range",
            Error::Diverged => "step diverged (non-finite loss or parameter) and was undone",
            Error::Overflow => "result out of this precision's range",
            Error::NotConverged => "exact solver did not converge",
            Error::Mismatch => "summaries have different numbers of features",
            Error::BufferTooSmall => "buffer too small",
            Error::BadCheckpoint => "not a vireg checkpoint of this version",
            Error::Checksum => "checkpoint checksum mismatch (corrupted or truncated)",
            Error::Incompatible => "checkpoint is for another precision or capacity",
            Error::IllConditioned => "data too ill-conditioned for this precision",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Result alias of the crate.
pub type Result<T> = core::result::Result<T, Error>;
