//! Checkpoints: a fit saved to / loaded from a caller's byte buffer (versioned, checksummed,
//! little-endian). (To be written.)

#![forbid(unsafe_code)]
