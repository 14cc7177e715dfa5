//! Adam with `torch.optim.Adam` semantics, plus Pyro `ClippedAdam`'s element-wise gradient clamp
//! and per-step learning-rate decay.

#![forbid(unsafe_code)]

#[cfg(not(vireg_compact))]
use crate::arch::step::Step;
use crate::error::{Error, Result};
use crate::family::Family;
use crate::guide::Guide;
use crate::real::Real;
use crate::rng::Normal;

/// Optimiser settings.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct AdamConfig<T> {
    /// Learning rate (default 1e-2, as in the seed).
    pub lr: T,
    /// β₁ (default 0.9).
    pub beta1: T,
    /// β₂ (default 0.999).
    pub beta2: T,
    /// ε (default 1e-8), added to √ν̂ as torch does.
    pub eps: T,
    /// Each gradient element is clamped to ±clip (ClippedAdam's `clip_norm`); +∞ disables (default).
    pub clip: T,
    /// The learning rate is multiplied by `lrd` before every step (ClippedAdam); 1 disables (default).
    pub lrd: T,
}

impl<T: Real> Default for AdamConfig<T> {
    fn default() -> Self {
        AdamConfig {
            lr: T::c(1e-2),
            beta1: T::c(0.9),
            beta2: T::c(0.999),
            eps: T::c(1e-8),
            clip: T::INFINITY,
            lrd: T::ONE,
        }
    }
}

impl<T: Real> AdamConfig<T> {
    /// Checks ranges: lr > 0 finite, 0 ≤ β < 1, ε ≥ 0 finite, clip > 0 (may be +∞), 0 < lrd ≤ 1.
    pub fn validate(&self) -> Result<()> {
        for v in [self.lr, self.beta1, self.beta2, self.eps, self.lrd] {
            if !v.is_finite() {
                return Err(Error::NonFinite);
            }
        }
        if self.clip.is_nan_value() {
            return Err(Error::NonFinite);
        }
        let ok = self.lr > T::ZERO
            && self.beta1 >= T::ZERO
            && self.beta1 < T::ONE
            && self.beta2 >= T::ZERO
            && self.beta2 < T::ONE
            && self.eps >= T::ZERO
            && self.clip > T::ZERO
            && self.lrd > T::ZERO
            && self.lrd <= T::ONE;
        if ok {
            Ok(())
        } else {
            Err(Error::Config)
        }
    }
}

/// Adam's running state (first and second moments of each parameter's gradient), for the
/// parameters of a guide of family `G` (mean-field by default), the moments in the family's
/// own layout.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Adam<T: Normal, const P: usize, G: Family<T, P> = Guide<T, P>> {
    pub(crate) step: u64,
    pub(crate) lr: T,
    pub(crate) b1t: T,
    pub(crate) b2t: T,
    /// Zero: makes the scalars before the moments even in number, so that neither precision
    /// pads the struct (every byte of a fit is defined; see `Fit`).
    pub(crate) pad: T,
    pub(crate) mv: G::Moments,
}

impl<T: Normal, const P: usize, G: Family<T, P>> Adam<T, P, G> {
    /// Fresh state with the configured learning rate.
    pub fn new(cfg: &AdamConfig<T>) -> Self {
        Adam {
            step: 0,
            lr: cfg.lr,
            b1t: T::ONE,
            b2t: T::ONE,
            pad: T::ZERO,
            mv: G::moments_zeros(),
        }
    }

    /// Number of updates done.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// The learning rate that the next step will use (after decay).
    pub fn lr(&self) -> T {
        self.lr
    }

    /// Advances the step count, the learning rate's decay and β's powers by one step; returns
    /// the step size (the learning rate scaled by `lr_scale`, over the first moment's bias
    /// correction) and 1/√(the second moment's bias correction).
    #[inline(always)]
    fn tick(&mut self, cfg: &AdamConfig<T>, lr_scale: T) -> (T, T) {
        self.step += 1;
        self.lr *= cfg.lrd;
        self.b1t *= cfg.beta1;
        self.b2t *= cfg.beta2;
        let bc1 = T::ONE - self.b1t;
        let inv_sqrt_bc2 = T::ONE / (T::ONE - self.b2t).sqrt();
        (self.lr * lr_scale / bc1, inv_sqrt_bc2)
    }

    /// Advances the optimiser by one step ([`Adam::tick`]) and returns the coefficients
    /// [`Step::apply`](crate::arch::step::Step::apply) uses for every parameter in that step,
    /// with the learning rate scaled by `lr_scale` (1 for plain Adam; the SVI loop uses it for
    /// its final-stretch schedule).
    #[cfg(not(vireg_compact))]
    #[inline(always)]
    pub(crate) fn advance(&mut self, cfg: &AdamConfig<T>, lr_scale: T) -> Step<T> {
        let (step_size, inv_sqrt_bc2) = self.tick(cfg, lr_scale);
        let (b1, b2) = (cfg.beta1, cfg.beta2);
        Step {
            b1,
            b2,
            c1: T::ONE - b1,
            c2: T::ONE - b2,
            inv_sqrt_bc2,
            step_size,
            eps: cfg.eps,
            clip: cfg.clip,
            clamp: cfg.clip < T::INFINITY,
        }
    }

    /// One update of `params` down the loss gradient `grad`, with the learning rate scaled by
    /// `lr_scale` (1 for plain Adam; the SVI loop uses it for its final-stretch schedule).
    /// Microcontrollers; hosts use [`Adam::advance`] and the step's own pass
    /// (`Ops::adam_step`).
    #[cfg(vireg_compact)]
    pub(crate) fn update(
        &mut self,
        cfg: &AdamConfig<T>,
        params: &mut G,
        grad: &G,
        p: usize,
        lr_scale: T,
    ) {
        let (step_size, inv_sqrt_bc2) = self.tick(cfg, lr_scale);
        let (b1, b2) = (cfg.beta1, cfg.beta2);
        let (c1, c2) = (T::ONE - b1, T::ONE - b2);
        let clip = cfg.clip;
        let clamp = clip < T::INFINITY;
        let upd = |x: &mut T, g: T, m: &mut T, v: &mut T| {
            let g = if clamp { g.max(-clip).min(clip) } else { g };
            *m = b1 * *m + c1 * g;
            *v = b2 * *v + c2 * g * g;
            let denom = v.sqrt() * inv_sqrt_bc2 + cfg.eps;
            *x -= step_size * *m / denom;
        };
        G::zip4(params, grad, &mut self.mv, p, upd);
    }
}
