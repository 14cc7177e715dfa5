//! # vireg — Bayesian linear regression by variational inference, for microcontrollers
//!
//! `#![no_std]`, no heap, fixed-size state. Rows (x, y) are folded into O(P²) sufficient
//! statistics (a square-root-free Givens factor); the posterior of
//! α ~ N(0, 100), β ~ N(0, 10)ᴾ, σ ~ HalfNormal(10), y ~ N(α + x·β, σ) is fitted with a
//! mean-field Gaussian guide (Pyro's `AutoDiagonalNormal`) by Adam on closed-form
//! reparameterized ELBO gradients, or exactly by coordinate ascent.
//!
//! ```
//! use vireg::{Config, Fit};
//! let mut fit: Fit<f64, 8> = Fit::new(2, Config::default()).unwrap();
//! for i in 0..100 {
//!     let x = [i as f64 / 10.0, (i % 7) as f64];
//!     fit.observe(&x, 1.0 + 2.0 * x[0] - 0.5 * x[1] + 0.01 * ((i * 37 % 11) as f64 - 5.0)).unwrap();
//! }
//! fit.solve_exact().unwrap();
//! let post = fit.posterior().unwrap();
//! assert!((post.beta(0).unwrap().mean - 2.0).abs() < 0.01);
//! let (mean, sd) = post.predict(&[1.0, 2.0]).unwrap();
//! assert!((mean - 2.0).abs() < 0.05 && sd > 0.0);
//! ```
#![no_std]
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![allow(clippy::needless_range_loop)]

// On hosted targets the static and dynamic libraries take std's panic runtime, and the code
// takes std's square root unless built compact (the IEEE operation, which the compiler can
// vectorise; real.rs); otherwise it uses `core` only. Bare-metal firmware gets a halting
// handler with the `panic-halt` feature.
#[cfg(not(target_os = "none"))]
extern crate std;

#[cfg(all(target_os = "none", feature = "panic-halt"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}

#[cfg(not(vireg_compact))]
mod arch;
mod checkpoint;
mod condition;
mod error;
mod estimator;
mod exact;
mod family;
#[cfg(feature = "ffi")]
#[allow(unsafe_code)]
pub mod ffi;
mod fit;
pub mod full;
mod guide;
mod math;
mod model;
mod optim;
mod posterior;
mod real;
mod rng;
mod stats;
mod synth;
mod vector;

pub use checkpoint::{crc32, CHECKPOINT_MAGIC, CHECKPOINT_VERSION};
pub use condition::ILL_CONDITIONED_LIMIT;
pub use error::{Error, Result};
pub use estimator::Estimator;
pub use exact::ExactReport;
pub use family::Family;
pub use fit::{Config, Fit, FullFit, RunReport, CONVERGENCE_WINDOW, MAX_PARTICLES};
pub use full::{FullGuide, FullPosterior, FullReport, Square};
pub use guide::{Guide, INIT_SCALE};
pub use model::Prior;
pub use optim::{Adam, AdamConfig};
pub use posterior::{normal_quantile, Posterior, Summary};
pub use real::Real;
pub use rng::{Normal, SeededRng};
pub use stats::Stats;
pub use synth::Synth;
pub use vector::{Coefs, Latent};

pub use rand_core;
