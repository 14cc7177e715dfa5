//! The C ABI (feature `ffi`, on by default). The only module of the crate allowed `unsafe`.
//! (To be written.)
