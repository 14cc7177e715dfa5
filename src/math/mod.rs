//! The hand-written numeric kernels, one file per function family, as rust-lang/libm lays them
//! out: each file states its domain and its accuracy bound, and tests them.
//!
//! Where a kernel has a hosts' and a microcontrollers' variant, both sit side by side with one
//! signature (modules `wide` and `compact`), the `vireg_compact` cfg (build.rs: bare metal, or
//! the `compact` feature) picks one, and the tests compare the two on the host.
//!
//! | file | contents |
//! |---|---|
//! | `exp.rs` | eˣ for x ≤ 0 (branch-free and compact), (eˣ, e⁻ˣ) |
//! | `ln1p.rs` | ln(1 + e) for e ∈ [0, 1] (branch-free and compact) |
//! | `softplus.rs` | softplus and sigmoid (both variants), softplus⁻¹ |
//! | `sqrt.rs` | the correctly rounded f32 √x without a table (hard-float ARM) |

pub(crate) mod exp;
pub(crate) mod ln1p;
pub(crate) mod softplus;
pub(crate) mod sqrt;
