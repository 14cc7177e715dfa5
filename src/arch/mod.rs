//! Host-only kernels (not built for microcontrollers, the `vireg_compact` cfg): code laid out
//! for the hosts' vector units.

#![forbid(unsafe_code)]

pub(crate) mod step;
