//! Arbitrary bytes as a checkpoint: `vireg_load_f32/_f64` into a state filled with a pattern
//! (or holding an initialised fit).
//!
//! * Refused: the status is one `load` documents, and the state is unchanged, byte for byte.
//! * Accepted: every read-only query returns a documented status and changes nothing; a few
//!   steps, a run, draws and the exact solver return documented statuses and leave a fit that
//!   still saves; save → load → save round-trips the bytes.
//!
//! Input: byte 0 chooses the precision (bit 0), the target state (bit 1: pattern or an
//! initialised fit) and the mode (bits 2-3):
//! 0. the rest is the checkpoint, as is;
//! 1. the same, its CRC recomputed (so the fuzzer gets past the checksum);
//! 2. a valid checkpoint of a fit built from the next bytes, then edited (byte XORs, fields set
//!    to hostile values, truncation) as the rest says;
//! 3. as 2, the CRC recomputed after the edits.
#![no_main]

mod common;
#[path = "../../tests/robust/mod.rs"]
mod robust;

use common::*;
use libfuzzer_sys::fuzz_target;
use robust::*;
use vireg::ffi::*;

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    let head = r.u8();
    if head & 1 == 0 {
        one::<f32>(head, r);
    } else {
        one::<f64>(head, r);
    }
});

/// A state buffer whose every byte is a pattern (no valid marker, no valid value).
fn patterned<T: Prec>() -> Buf {
    let mut b = Buf::fit::<T>();
    for (i, w) in b.words.iter_mut().enumerate() {
        *w = 0xA5C3_0F96_5A3C_F069 ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    b
}

/// A fit with `p` features built from a few bytes: some rows, some steps.
fn built<T: Prec>(r: &mut Reader) -> (Buf, usize) {
    let p = 1 + r.u8() as usize % MAX_FEATURES;
    let mut cfg = T::cfg_default();
    let flags = r.u8();
    if flags & 1 != 0 {
        T::cfg_set_analytic(&mut cfg);
    }
    if flags & 2 != 0 {
        T::cfg_set(&mut cfg, 13, 1e-3, 0); // tol_rel_obj
        T::cfg_set(&mut cfg, 14, 0.0, 2); // eval_every
    }
    let mut fit = Buf::fit::<T>();
    // SAFETY: a state buffer of T's size and a live configuration.
    assert_eq!(unsafe { T::init(fit.ptr(), p, &cfg) }, VIREG_OK);
    let rows = r.u8() % 8;
    for i in 0..rows {
        let x: Vec<T> = (0..p)
            .map(|j| T::c(((i as usize * 7 + j * 3) % 11) as f64 - 5.0))
            .collect();
        // SAFETY: as above; `x` holds p values.
        let s = unsafe { T::observe(fit.ptr(), x.as_ptr(), p, T::c(i as f64)) };
        assert_eq!(s, VIREG_OK);
    }
    let steps = r.u8() % 4;
    if steps > 0 {
        // SAFETY: as above.
        let s = unsafe { T::step(fit.ptr(), steps as u64, core::ptr::null_mut()) };
        expect("build step", s, &[VIREG_OK, VIREG_ERR_DIVERGED]);
    }
    if flags & 4 != 0 {
        // SAFETY: as above.
        let s = unsafe {
            T::run(
                fit.ptr(),
                6,
                0,
                T::no_progress(),
                core::ptr::null_mut(),
                core::ptr::null_mut(),
            )
        };
        expect("build run", s, &[VIREG_OK, VIREG_ERR_DIVERGED]);
    }
    (fit, p)
}

fn one<T: Prec>(head: u8, mut r: Reader) {
    let layout = Layout::new(core::mem::size_of::<T>(), MAX_FEATURES);
    let mode = (head >> 2) & 3;
    let mut edited = true;
    let mut ck: Vec<u8> = if mode < 2 {
        r.data.to_vec()
    } else {
        let (fit, _) = built::<T>(&mut r);
        let mut ck = c_save::<T>(&fit);
        edited = !r.is_empty();
        let fields = layout.fields();
        for _ in 0..16 {
            if r.is_empty() {
                break;
            }
            let op = r.u8();
            let at = r.u16() as usize;
            match op % 4 {
                0 => {
                    if !ck.is_empty() {
                        let i = at % ck.len();
                        ck[i] ^= r.u8().max(1);
                    }
                }
                1 => {
                    let f = fields[at % fields.len()];
                    if f.off + 8 <= ck.len() {
                        match f.kind {
                            Kind::Real => put_real(&mut ck, f.off, layout.w, r.real()),
                            Kind::U32 => put_u32(&mut ck, f.off, small_or_huge(&mut r) as u32),
                            Kind::U64 => put_u64(&mut ck, f.off, small_or_huge(&mut r)),
                        }
                    }
                }
                2 => ck.truncate(at % (ck.len() + 1)),
                _ => {
                    // Header bytes: magic, version, precision, capacity.
                    if ck.len() >= 16 {
                        ck[at % 16] = r.u8();
                    }
                }
            }
        }
        ck
    };
    if mode & 1 == 1 && ck.len() >= layout.len {
        layout.reseal(&mut ck);
    }

    let mut fit = if head & 2 == 0 {
        patterned::<T>()
    } else {
        built::<T>(&mut Reader::new(&[3, 1, 5, 2])).0
    };
    let before = fit.bytes();
    // SAFETY: a state buffer of T's size; `ck` is live for its length (a dangling but aligned,
    // non-null pointer when empty, valid for 0 reads).
    let s = unsafe { T::load(fit.ptr(), ck.as_ptr(), ck.len()) };
    expect(
        "load",
        s,
        &[
            VIREG_OK,
            VIREG_ERR_TRUNCATED,
            VIREG_ERR_BAD_CHECKPOINT,
            VIREG_ERR_CHECKSUM,
            VIREG_ERR_INCOMPATIBLE,
        ],
    );
    // Truncated only when shorter than a checkpoint (of any version: the length is fixed).
    assert!(s != VIREG_ERR_TRUNCATED || ck.len() < layout.len, "truncated at full length");
    // A state of another size than the library's is refused before anything else.
    // SAFETY: as above; the size passed is smaller than the buffer.
    let s2 = unsafe { T::load_sized(fit.ptr(), T::fit_size() - 8, ck.as_ptr(), ck.len()) };
    expect("load (other size)", s2, &[VIREG_ERR_STATE_SIZE]);
    assert!(
        edited || s == VIREG_OK,
        "an unedited checkpoint was refused: {s}"
    );
    if s != VIREG_OK {
        assert!(fit.bytes() == before, "refused load {s} changed the state");
        if head & 2 != 0 {
            // Still the fit it was.
            round_trip::<T>(&fit);
        }
        return;
    }
    let mut n = 0usize;
    // SAFETY: as above.
    expect(
        "features",
        unsafe { T::features(fit.cptr(), &mut n) },
        &[VIREG_OK],
    );
    assert!((1..=MAX_FEATURES).contains(&n), "loaded p = {n}");
    let p = n;
    let mut q = Reader::new(r.data);
    queries::<T>(&fit, p, &mut q);
    round_trip::<T>(&fit);

    // A loaded configuration may ask for many particles: keep each input to milliseconds.
    let mut cfg = T::cfg_default();
    // SAFETY: as above.
    expect(
        "get_config",
        unsafe { T::get_config(fit.cptr(), &mut cfg) },
        &[VIREG_OK],
    );
    let particles = T::cfg_bits(&cfg)[12];
    let data_cfg = |f: &Buf| {
        let ck = c_save::<T>(f);
        ck[layout.config..layout.guide].to_vec()
    };
    let kept = data_cfg(&fit);

    if particles <= 64 {
        let mut a = fit.clone();
        let mut loss = T::default();
        // SAFETY: as above.
        let s = unsafe { T::step(a.ptr(), 3, &mut loss) };
        expect("step", s, &[VIREG_OK, VIREG_ERR_DIVERGED]);
        assert!(
            data_cfg(&a) == kept,
            "step changed the data or configuration"
        );
        queries::<T>(&a, p, &mut Reader::new(r.data));
        round_trip::<T>(&a);

        let mut b = fit.clone();
        // SAFETY: as above.
        let s = unsafe {
            T::run(
                b.ptr(),
                5,
                0,
                T::no_progress(),
                core::ptr::null_mut(),
                core::ptr::null_mut(),
            )
        };
        expect("run", s, &[VIREG_OK, VIREG_ERR_DIVERGED]);
        assert!(
            data_cfg(&b) == kept,
            "run changed the data or configuration"
        );
        round_trip::<T>(&b);
    }

    let mut c = fit.clone();
    let mut out = vec![T::default(); 3 * (p + 2)];
    // SAFETY: as above; `out` holds 3 rows of p + 2.
    let s = unsafe { T::draw(c.ptr(), out.as_mut_ptr(), 3, out.len()) };
    expect("draw", s, &[VIREG_OK]);
    round_trip::<T>(&c);

    let mut d = fit.clone();
    let before = d.bytes();
    // SAFETY: as above.
    let s = unsafe { T::solve_exact(d.ptr(), core::ptr::null_mut()) };
    expect(
        "solve_exact",
        s,
        &[
            VIREG_OK,
            VIREG_ERR_NOT_CONVERGED,
            VIREG_ERR_ILL_CONDITIONED,
            VIREG_ERR_OVERFLOW,
        ],
    );
    if s != VIREG_OK {
        assert!(d.bytes() == before, "refused solve_exact changed the state");
    } else {
        assert!(
            data_cfg(&d) == kept,
            "solve_exact changed the data or configuration"
        );
    }
    round_trip::<T>(&d);
}

fn small_or_huge(r: &mut Reader) -> u64 {
    const INTS: [u64; 10] = [0, 1, 2, 3, 16, 17, 1000, 65536, 65537, u64::MAX];
    let i = r.u8() as usize;
    if i < INTS.len() {
        INTS[i]
    } else if i < 128 {
        i as u64
    } else {
        r.u64()
    }
}
