//! Checkpoints: a whole fit saved to, and restored from, a caller's byte buffer, so that a device
//! can resume after a power loss exactly where it stopped (same losses, same draws). Both guide
//! families have them: [`Fit`] (mean-field) and [`FullFit`](crate::FullFit) (full-rank), with
//! one format.
//!
//! # Format (version 3)
//!
//! Every multi-byte field is little-endian; scalars are IEEE 754 of the fit's precision.
//!
//! | offset | size | field                                                        |
//! |--------|------|--------------------------------------------------------------|
//! | 0      | 4    | magic `b"VIRG"`                                              |
//! | 4      | 2    | format version (3)                                           |
//! | 6      | 1    | scalar width in bytes (4 = f32, 8 = f64)                     |
//! | 7      | 1    | flags: bit 0 set when the fit is fitted ([`Fit::is_fitted`]); bit 1 set when the guide is full-rank; other bits 0 |
//! | 8      | 4    | feature capacity P                                           |
//! | 12     | 4    | total length in bytes, this header and the checksum included |
//! | 16     | …    | payload: configuration, statistics (p, row count, d, t, R̄, sserr, then the forgetting factor γ, N_w and the largest row weight: both 0 while the summary is unweighted), guide, Adam (step, rate, β powers, m, v), generator, iterate average (count, mean), last good guide and Adam, convergence window |
//! | end−4  | 4    | CRC-32 (IEEE 802.3, as zlib's `crc32`) of every byte before it |
//!
//! Seven values in the payload have the guide's shape: the guide, Adam's m and v, the iterate
//! average's mean, the last good guide and its Adam's m and v. Each is written scalar by scalar
//! in memory order:
//!
//! * mean-field: `loc` then `rho`, each the P + 2 latents (α, β₁ … β_P, u);
//! * full-rank: `loc`, `rho`, then `tril`'s P + 2 rows in the same order, each of P + 1
//!   entries (α, β₁ … β_P): every stored slot, not only the strictly-lower entries (the
//!   parameters). The slots beyond the triangle hold what the fit holds, which depends on how
//!   the guide was reached (0 from the starting guess, the exact solve, Adam's moments and the
//!   average; anything finite from `set_guide`): saving them is what makes a loaded fit's guide
//!   and optimiser equal to the saved ones byte for byte, as the mean-field guide's unused
//!   feature slots are saved. The price is (P+2)·(P+1)/2 scalars per value beyond the
//!   triangle (f32, P = 8: 3 620 bytes instead of 2 360). In Adam's m and v those slots are
//!   always 0: the fit stores the two moments' triangles in one (see `FullMoments`), with no
//!   room for anything else, and a checkpoint with another value there is refused.
//!
//! The length depends only on the family, the precision and the capacity (unused feature slots
//! are saved too), so a device can reserve [`Fit::CHECKPOINT_BYTES`] once.
//!
//! ## Families and versions
//!
//! A mean-field checkpoint is the same bytes as before the full-rank guide existed (version 2,
//! bit 1 clear); the full-rank family is marked by flag bit 1, not by a new version, because:
//!
//! * no mean-field checkpoint changes: those written before (versions 1 and 2) load as they
//!   did, and a library from before the full-rank guide reads the mean-field checkpoints this
//!   one writes;
//! * an older library refuses a full-rank checkpoint all the same: a version-2 reader accepts
//!   no flag but bit 0 ([`Error::BadCheckpoint`]), a version-1 reader no version but 1;
//! * a format version counts changes of the layout; the family is a property of the fit,
//!   like its precision and capacity, and is refused like them: a mean-field fit given a
//!   full-rank checkpoint, or the other way round, returns [`Error::Incompatible`].
//!
//! Version 3 added the statistics' three weight fields (docs/weights.md): a summary with
//! weighted rows or forgetting cannot be told apart from an unweighted one without them.
//! Versions 1 and 2 are still read, as unweighted summaries with γ = 1 (what they were), and
//! are the version-3 layout without those three fields. A library built without the
//! `weights` feature refuses a checkpoint of a weighted or forgetting summary
//! ([`Error::Incompatible`]): it could not go on as the saved fit would.
//!
//! Version 1 differs from version 2 only in byte 7, reserved and 0, and is still read (as mean-field: the
//! full-rank family did not exist). It did not record whether the fit was fitted: a version-1
//! checkpoint loads as fitted when the fit has taken a step (Adam's step count or the iterate
//! average is nonzero) or its guide differs from the starting guess the configuration gives (as
//! after `solve_exact` or `set_guide`), and as not fitted otherwise (a fresh fit, or one reset by
//! `reset_guide`).
//!
//! A load checks, in this order: the magic, and the version and flags ([`Error::BadCheckpoint`]
//! when this library does not know them; a buffer too short for the header but starting as one
//! is [`Error::Truncated`]), the precision, capacity and family ([`Error::Incompatible`]), the
//! recorded length ([`Error::BadCheckpoint`] unless it is this type's), the buffer's length
//! ([`Error::Truncated`] when shorter than recorded), the checksum ([`Error::Checksum`]), then
//! every decoded value (finite, in range, a valid configuration, Adam's second moments ≥ 0 or
//! +∞, step/draw counters below 2^63: [`Error::BadCheckpoint`]); for the full-rank guide every
//! scalar of the `tril` triangles is held to the rule of its value (finite; ≥ 0 or +∞ in v;
//! 0 beyond the triangle in m and v). The fit is replaced only when all of them pass.

#![forbid(unsafe_code)]

use crate::error::{Error, Result};
use crate::estimator::Estimator;
use crate::family::Family;
use crate::fit::{Average, Config, Fit, CONVERGENCE_WINDOW};
use crate::full::{FullGuide, Tril};
use crate::guide::Guide;
use crate::model::Prior;
use crate::optim::{Adam, AdamConfig};
use crate::rng::{Normal, SeededRng};
use crate::stats::Stats;
use crate::vector::{Coefs, Latent};
use core::mem::size_of;

/// The four bytes every checkpoint starts with.
pub const CHECKPOINT_MAGIC: [u8; 4] = *b"VIRG";
/// The format version written by this library (it reads this one and versions 1 and 2).
pub const CHECKPOINT_VERSION: u16 = 3;
/// Bit of the flags byte (offset 7) set when the fit is fitted.
const FLAG_FITTED: u8 = 1;
/// Bit of the flags byte set when the guide is full-rank ([`FullFit`](crate::FullFit)).
const FLAG_FULL: u8 = 2;
const HEADER: usize = 16;
/// Generator draws, Adam steps and averaged iterates at or above this are refused on load.
const COUNTER_LIMIT: u64 = 1 << 63;
const CRC: usize = 4;

/// Bytes of the payload for scalar width `w`, capacity `p` and `guide` bytes per guide-shaped
/// value (the guide, Adam's two moments, the iterate average, the last good guide).
const fn payload_bytes(w: usize, p: usize, guide: usize, version: u16) -> usize {
    let coefs = w * (1 + p);
    let adam = 8 + 3 * w + 2 * guide;
    // prior (3), init_scale, adam config (6), estimator (tag + particles), seed, tol,
    // eval_every, average_fraction, final_lr_scale
    let config = 3 * w + w + 6 * w + 4 + 4 + 8 + w + 4 + w + w;
    // p, n, d, t, rbar, sserr; from version 3 on γ, N_w, the largest weight
    let weights = if version >= 3 { 3 * w } else { 0 };
    let stats = 4 + 8 + 2 * coefs + w * p * p + w + weights;
    let rng = 8 + 8;
    let average = 8 + guide;
    let prev = guide + adam;
    let history = 4 + w * CONVERGENCE_WINDOW + w;
    config + stats + guide + adam + rng + average + prev + history
}

/// How a family's parameters are written: every scalar of the value, in memory order (unused
/// feature slots included, and for the full-rank guide every slot of `tril`), so that a
/// loaded value equals the saved one byte for byte. A supertrait of [`Family`], nameable only
/// inside the crate (sealed, as `Ops` is).
#[allow(private_interfaces)]
pub trait Stored<T: Normal, const P: usize>: Sized {
    /// The flag bits (offset 7) that name the family.
    const FLAG: u8;
    /// Writes every scalar of the value.
    fn write(&self, w: &mut Writer<'_>);
    /// Reads a value written by [`Stored::write`], each scalar checked by the reader's rule.
    fn read(r: &mut Reader<'_>) -> Result<Self>;
}

#[allow(private_interfaces)]
impl<T: Normal, const P: usize> Stored<T, P> for Guide<T, P> {
    const FLAG: u8 = 0;
    fn write(&self, w: &mut Writer<'_>) {
        w.latent(&self.loc);
        w.latent(&self.rho);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self> {
        Ok(Guide {
            loc: r.latent()?,
            rho: r.latent()?,
        })
    }
}

#[allow(private_interfaces)]
impl<T: Normal, const P: usize> Stored<T, P> for FullGuide<T, P> {
    const FLAG: u8 = FLAG_FULL;
    fn write(&self, w: &mut Writer<'_>) {
        w.latent(&self.loc);
        w.latent(&self.rho);
        // Rows in memory order (`at(i, P)` is the i-th stored row whatever p is).
        for i in 0..P + 2 {
            w.coefs(self.tril.at(i, P));
        }
    }
    fn read(r: &mut Reader<'_>) -> Result<Self> {
        let loc = r.latent()?;
        let rho = r.latent()?;
        let mut tril: Tril<T, P> = Latent::splat(Coefs::splat(T::ZERO));
        for i in 0..P + 2 {
            *tril.get_mut(i, P) = r.coefs()?;
        }
        Ok(FullGuide { loc, rho, tril })
    }
}

impl<T: Normal, const P: usize, G: Family<T, P> + Stored<T, P>> Fit<T, P, G> {
    /// The size in bytes of a checkpoint of this fit type (fixed for a family, a precision and
    /// a capacity).
    pub const CHECKPOINT_BYTES: usize = Self::bytes_of(CHECKPOINT_VERSION);

    /// The size of a checkpoint of this fit type in format `version`.
    const fn bytes_of(version: u16) -> usize {
        HEADER + payload_bytes(T::BYTES, P, G::FIELDS / size_of::<T>() * T::BYTES, version) + CRC
    }

    /// Saves the whole fit to `buf[..CHECKPOINT_BYTES]`, returning the number of bytes written.
    /// Fails with [`Error::BufferTooSmall`] (nothing written) when `buf` is shorter.
    pub fn save(&self, buf: &mut [u8]) -> Result<usize> {
        save(self, buf)
    }

    /// Restores a fit from a checkpoint written by [`Fit::save`] of a fit of the same family,
    /// precision and capacity. On error `self` is unchanged.
    pub fn load(&mut self, buf: &[u8]) -> Result<()> {
        *self = from_checkpoint(buf)?;
        Ok(())
    }

    /// A fit decoded from a checkpoint (see the module documentation for the checks, in order).
    pub fn from_checkpoint(buf: &[u8]) -> Result<Self> {
        from_checkpoint(buf)
    }
}

fn save<T: Normal, const P: usize, G: Family<T, P> + Stored<T, P>>(
    fit: &Fit<T, P, G>,
    buf: &mut [u8],
) -> Result<usize> {
    let flags = G::FLAG | if fit.is_fitted() { FLAG_FITTED } else { 0 };
    let len = Fit::<T, P, G>::CHECKPOINT_BYTES;
    let buf = buf.get_mut(..len).ok_or(Error::BufferTooSmall)?;
    let cap = u32::try_from(P).map_err(|_| Error::Incompatible)?;
    let total = u32::try_from(len).map_err(|_| Error::Incompatible)?;
    let mut w = Writer { buf, pos: 0 };
    w.bytes(&CHECKPOINT_MAGIC);
    w.bytes(&CHECKPOINT_VERSION.to_le_bytes());
    w.bytes(&[T::BYTES as u8, flags]);
    w.u32(cap);
    w.u32(total);
    write_payload(fit, &mut w);
    debug_assert_eq!(w.pos, len - CRC);
    // `get`: w.buf is `len` long, but past write_payload the compiler no longer sees it.
    let crc = crc32(w.buf.get(..len - CRC).unwrap_or_default());
    w.u32(crc);
    Ok(len)
}

fn from_checkpoint<T: Normal, const P: usize, G: Family<T, P> + Stored<T, P>>(
    buf: &[u8],
) -> Result<Fit<T, P, G>> {
    if buf.len() < HEADER {
        // The start of a checkpoint (the empty buffer included) is one cut short.
        let n = buf.len().min(4);
        return Err(if buf[..n] == CHECKPOINT_MAGIC[..n] {
            Error::Truncated
        } else {
            Error::BadCheckpoint
        });
    }
    if buf[..4] != CHECKPOINT_MAGIC {
        return Err(Error::BadCheckpoint);
    }
    let mut r = Reader {
        buf,
        pos: 4,
        moment: false,
    };
    let version = r.u16();
    let flags = buf[7];
    let known = match version {
        1 => flags == 0,
        2 | CHECKPOINT_VERSION => flags & !(FLAG_FITTED | FLAG_FULL) == 0,
        _ => false,
    };
    let len = Fit::<T, P, G>::bytes_of(version);
    if !known {
        return Err(Error::BadCheckpoint);
    }
    r.pos = 8;
    let width = buf[6] as usize;
    let cap = r.u32() as usize;
    if width != T::BYTES || cap != P || flags & FLAG_FULL != G::FLAG {
        return Err(Error::Incompatible);
    }
    if r.u32() as usize != len {
        return Err(Error::BadCheckpoint);
    }
    let buf = buf.get(..len).ok_or(Error::Truncated)?;
    let stored = u32::from_le_bytes([buf[len - 4], buf[len - 3], buf[len - 2], buf[len - 1]]);
    if crc32(&buf[..len - CRC]) != stored {
        return Err(Error::Checksum);
    }
    let mut r = Reader {
        buf,
        pos: HEADER,
        moment: false,
    };
    let mut fit = read_payload::<T, P, G>(&mut r, version)?;
    debug_assert_eq!(r.pos, len - CRC);
    let fitted = if version == 1 {
        let start = G::init(&fit.cfg.prior, fit.cfg.init_scale).ok();
        fit.adam.step > 0 || fit.avg.count > 0 || start != Some(fit.guide)
    } else {
        flags & FLAG_FITTED != 0
    };
    fit.fitted = u32::from(fitted);
    Ok(fit)
}

fn write_payload<T: Normal, const P: usize, G: Family<T, P> + Stored<T, P>>(
    fit: &Fit<T, P, G>,
    w: &mut Writer<'_>,
) {
    // configuration
    let c = &fit.cfg;
    let estimator = c.estimator();
    w.reals(&[c.prior.intercept, c.prior.coef, c.prior.noise, c.init_scale]);
    let a = &c.adam;
    w.reals(&[a.lr, a.beta1, a.beta2, a.eps, a.clip, a.lrd]);
    match estimator {
        Estimator::MonteCarlo { particles } => {
            w.u32(0);
            w.u32(particles);
        }
        Estimator::Analytic => {
            w.u32(1);
            w.u32(0);
        }
    }
    w.u64(c.seed);
    w.real(c.tol_rel_obj);
    w.u32(c.eval_every);
    w.reals(&[c.average_fraction, c.final_lr_scale]);
    // statistics (p ≤ P ≤ u32::MAX: save() checked P)
    let s = &fit.stats;
    w.u32(s.p as u32);
    w.u64(s.n);
    w.coefs(&s.d);
    w.coefs(&s.t);
    for row in &s.rbar {
        w.reals(row);
    }
    w.real(s.sserr);
    w.reals(&[s.forget, s.nw, s.wmax]);
    // optimisation state
    fit.guide.write(w);
    w.adam(&fit.adam);
    w.u64(fit.rng.seed());
    w.u64(fit.rng.draws());
    w.u64(fit.avg.count);
    fit.avg.mean.write(w);
    fit.prev_guide.write(w);
    w.adam(&fit.prev_adam);
    // convergence window, oldest first; unused slots are zero
    w.u32(fit.history.len() as u32);
    let mut k = 0;
    for v in fit.history.oldest_ordered() {
        w.real(*v);
        k += 1;
    }
    for _ in k..CONVERGENCE_WINDOW {
        w.real(T::ZERO);
    }
    w.real(fit.last_elbo);
}

fn read_payload<T: Normal, const P: usize, G: Family<T, P> + Stored<T, P>>(
    r: &mut Reader<'_>,
    version: u16,
) -> Result<Fit<T, P, G>> {
    let bad = Error::BadCheckpoint;
    let prior = Prior::<T> {
        intercept: r.real()?,
        coef: r.real()?,
        noise: r.real()?,
    };
    let init_scale: T = r.real()?;
    let adam_cfg = AdamConfig {
        lr: r.real()?,
        beta1: r.real()?,
        beta2: r.real()?,
        eps: r.real()?,
        clip: r.any_real(),
        lrd: r.real()?,
    };
    let tag = r.u32();
    let particles = r.u32();
    let estimator = match (tag, particles) {
        (0, k) => Estimator::MonteCarlo { particles: k },
        (1, 0) => Estimator::Analytic,
        _ => return Err(bad),
    };
    let cfg = Config {
        prior,
        init_scale,
        adam: adam_cfg,
        estimator,
        seed: r.u64(),
        tol_rel_obj: r.real()?,
        eval_every: r.u32(),
        average_fraction: r.real()?,
        final_lr_scale: r.real()?,
        // The summary's, read with it below.
        forget: T::ONE,
    };
    if cfg.adam.clip.is_nan_value() {
        return Err(bad);
    }
    cfg.validate().map_err(|_| bad)?;

    let p = r.u32() as usize;
    let mut stats = Stats::<T, P>::new(p).map_err(|_| bad)?;
    stats.n = r.u64();
    stats.d = r.coefs()?;
    stats.t = r.coefs()?;
    // Entries outside the strict upper triangle of the p features are +0 in every summary
    // (the hosts' residual reads whole rows: a forged value there would count; their batched
    // ingest rewrites whole vector-aligned rows, which would turn a −0 into +0 and change the
    // summary's bytes where nothing was added).
    for (i, row) in stats.rbar.iter_mut().enumerate() {
        for (c, v) in row.iter_mut().enumerate() {
            *v = r.real()?;
            if (c < i || c >= p) && v.to_bits_u64() != 0 {
                return Err(bad);
            }
        }
    }
    stats.sserr = r.real()?;
    let nonneg = |v: T| v >= T::ZERO;
    if version >= 3 {
        let forget = r.real()?;
        stats.nw = r.real()?;
        stats.wmax = r.real()?;
        if !(forget > T::ZERO && forget <= T::ONE) {
            return Err(bad);
        }
        // An unweighted summary keeps N_w at 0 (what it was saved with, byte for byte).
        if !(nonneg(stats.nw) && nonneg(stats.wmax))
            || (stats.wmax == T::ZERO && stats.nw != T::ZERO)
        {
            return Err(bad);
        }
        // A build that cannot forget or weigh rows cannot go on with such a summary.
        if stats.set_forget(forget).is_err() || (stats.wmax > T::ZERO && !stats.is_weighted()) {
            return Err(Error::Incompatible);
        }
    }
    if !nonneg(stats.sserr)
        || !nonneg(stats.d.alpha)
        || !stats.d.beta.iter().all(|v| nonneg(*v))
        // A summary past the range rows are held to (docs/summary-limits.md) was forged: it
        // would refuse every later row.
        || !stats.within_limits()
    {
        return Err(bad);
    }

    let guide = G::read(r)?;
    let adam = r.adam::<T, P, G>()?;
    let seed = r.u64();
    let draws = r.u64();
    if seed != cfg.seed {
        return Err(bad);
    }
    let avg_count = r.u64();
    let avg_mean = G::read(r)?;
    let prev = (G::read(r)?, r.adam::<T, P, G>()?);
    // Counters that grow by one per step or draw cannot have reached 2^63: such a value is
    // forged, and its next increment could overflow.
    if [draws, avg_count, adam.step, prev.1.step]
        .iter()
        .any(|c| *c >= COUNTER_LIMIT)
    {
        return Err(bad);
    }

    let mut fit = Fit::<T, P, G>::new(p, cfg).map_err(|_| bad)?;
    fit.stats = stats;
    fit.guide = guide;
    fit.adam = adam;
    fit.rng = SeededRng::at(seed, draws);
    fit.avg = Average::of(avg_count, avg_mean);
    fit.prev_guide = prev.0;
    fit.prev_adam = prev.1;

    let len = r.u32() as usize;
    if len > CONVERGENCE_WINDOW {
        return Err(bad);
    }
    for k in 0..CONVERGENCE_WINDOW {
        let v = r.real()?;
        if k < len {
            if v < T::ZERO {
                return Err(bad);
            }
            fit.history.write(v);
        } else if v != T::ZERO {
            return Err(bad);
        }
    }
    let last: T = r.any_real();
    if !(last.is_finite() || last == T::INFINITY) {
        return Err(bad);
    }
    fit.last_elbo = last;
    Ok(fit)
}

/// Sequential little-endian writer over a buffer known to be long enough.
struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn bytes(&mut self, b: &[u8]) {
        // `get_mut`: the length was checked, but not where the compiler sees it (no panic path).
        if let Some(o) = self
            .buf
            .get_mut(self.pos..)
            .and_then(|o| o.get_mut(..b.len()))
        {
            o.copy_from_slice(b);
        }
        self.pos += b.len();
    }
    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }
    fn real<T: Normal>(&mut self, v: T) {
        v.write_le(self.buf.get_mut(self.pos..).unwrap_or_default());
        self.pos += T::BYTES;
    }
    fn reals<T: Normal>(&mut self, v: &[T]) {
        for x in v {
            self.real(*x);
        }
    }
    fn coefs<T: Normal, const P: usize>(&mut self, c: &Coefs<T, P>) {
        self.real(c.alpha);
        self.reals(&c.beta);
    }
    fn latent<T: Normal, const P: usize>(&mut self, l: &Latent<T, P>) {
        self.coefs(&l.theta);
        self.real(l.u);
    }
    fn adam<T: Normal, const P: usize, G: Family<T, P> + Stored<T, P>>(
        &mut self,
        a: &Adam<T, P, G>,
    ) {
        self.u64(a.step);
        self.reals(&[a.lr, a.b1t, a.b2t]);
        let (m, v) = G::split(&a.mv);
        m.write(self);
        v.write(self);
    }
}

/// Sequential little-endian reader over a buffer whose length was checked against the format.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Read Adam's second moments: scalars ≥ 0, +∞ included (a gradient beyond the square
    /// root of the precision's range makes one +∞, which freezes that parameter but is a state
    /// the kernel reaches, so a checkpoint must carry it). Otherwise every scalar is finite.
    moment: bool,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        // Zeros past the end (never: the length was checked, but not where the compiler sees it).
        let out = self
            .buf
            .get(self.pos..)
            .and_then(|b| b.first_chunk())
            .copied();
        self.pos += N;
        out.unwrap_or([0; N])
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }
    /// Any scalar, NaN and infinities included (the caller checks).
    fn any_real<T: Normal>(&mut self) -> T {
        let v = T::read_le(self.buf.get(self.pos..).unwrap_or_default());
        self.pos += T::BYTES;
        v
    }
    /// A finite scalar, or in `moment` mode one ≥ 0 (+∞ included).
    fn real<T: Normal>(&mut self) -> Result<T> {
        let v: T = self.any_real();
        if if self.moment {
            v >= T::ZERO
        } else {
            v.is_finite()
        } {
            Ok(v)
        } else {
            Err(Error::BadCheckpoint)
        }
    }
    fn coefs<T: Normal, const P: usize>(&mut self) -> Result<Coefs<T, P>> {
        let mut c = Coefs::splat(self.real()?);
        for b in c.beta.iter_mut() {
            *b = self.real()?;
        }
        Ok(c)
    }
    fn latent<T: Normal, const P: usize>(&mut self) -> Result<Latent<T, P>> {
        Ok(Latent {
            theta: self.coefs()?,
            u: self.real()?,
        })
    }
    fn adam<T: Normal, const P: usize, G: Family<T, P> + Stored<T, P>>(
        &mut self,
    ) -> Result<Adam<T, P, G>> {
        let step = self.u64();
        let lr = self.real()?;
        let b1t = self.real()?;
        let b2t = self.real()?;
        let m = G::read(self)?;
        self.moment = true;
        let v = G::read(self);
        self.moment = false;
        let v = v?;
        // The running learning rate may have decayed (lrd < 1) to zero: only a negative one is
        // impossible.
        if lr < T::ZERO {
            return Err(Error::BadCheckpoint);
        }
        Ok(Adam {
            step,
            lr,
            b1t,
            b2t,
            pad: T::ZERO,
            // A slot no parameter uses is zero in every checkpoint the library writes.
            mv: G::join(&m, &v).ok_or(Error::BadCheckpoint)?,
        })
    }
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib's `crc32`), by nibbles: a
/// 16-entry table, 64 bytes of flash.
pub fn crc32(data: &[u8]) -> u32 {
    const T: [u32; 16] = {
        let mut t = [0u32; 16];
        let mut i = 0;
        while i < 16 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 4 {
                c = if c & 1 != 0 {
                    (c >> 1) ^ 0xEDB8_8320
                } else {
                    c >> 1
                };
                k += 1;
            }
            t[i] = c;
            i += 1;
        }
        t
    };
    let mut crc = !0u32;
    for &b in data {
        crc = (crc >> 4) ^ T[((crc ^ b as u32) & 15) as usize];
        crc = (crc >> 4) ^ T[((crc ^ (b as u32 >> 4)) & 15) as usize];
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::crc32;

    #[test]
    fn crc32_reference_vectors() {
        // zlib.crc32 / the standard check value
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }
}
