"""Tests of the Python binding's C layer (plain checks, no test framework).

    cargo build --release && python3 python/tests/test_vireg.py

It imports the package from this source tree (python/vireg/) and needs NumPy.

Exits non-zero on any failure. Besides the binding's own checks (every error path, state
unchanged on error), it fits the seed's synthetic data through Python and compares the numbers,
to the last bit, with those of the Rust API: given by the file named in VIREG_REFERENCE (as
tests/c_api.rs does, with VIREG_LIB naming the library of the same build), else obtained by
running `cargo test --release --test c_api -- --ignored --exact print_python_reference`.
"""

import json
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
import vireg  # noqa: E402

checks = 0
failures = 0


def L(a):
    """A NumPy array as (nested) lists of Python floats: exact, for comparisons with ==."""
    return a.tolist()


def check(cond, what):
    global checks, failures
    checks += 1
    if not cond:
        failures += 1
        print("FAILED: %s" % what, file=sys.stderr)


def raises(status, fn, *args, **kwargs):
    """fn(*args) must raise vireg.Error with this status; returns the error."""
    try:
        fn(*args, **kwargs)
    except vireg.Error as e:
        check(e.status == status, "%s: status %d, expected %d" % (fn.__name__, e.status, status))
        return e
    check(False, "%s did not raise (expected status %d)" % (fn.__name__, status))
    return None


def test_basics():
    check(vireg.version().count(".") == 2, "version")
    cap = vireg.max_features()
    check(cap >= 1, "capacity")
    check(vireg.status_str(0) == "ok", "status_str(0)")
    check(vireg.status_str(12345) == "unknown status", "unknown status")
    check(vireg.status_str(vireg.ERR_NON_FINITE) == "a value is NaN or infinite", "status text")
    for precision in ("f32", "f64"):
        raises(vireg.ERR_FEATURES, vireg.Fit, 0, precision)
        raises(vireg.ERR_FEATURES, vireg.Fit, cap + 1, precision)
        raises(vireg.ERR_CONFIG, vireg.Fit, 2, precision, prior_coef=-1.0)
        raises(vireg.ERR_NON_FINITE, vireg.Fit, 2, precision, lr=float("nan"))
        raises(vireg.ERR_CONFIG, vireg.Fit, 2, precision, estimator=9)
        raises(vireg.ERR_FEATURES, vireg.Synth, 0, 1, precision)
        fit = vireg.Fit(cap, precision)
        check(fit.features == cap and fit.rows == 0, "fresh fit")
        fit = vireg.Fit(3, precision, seed=9, estimator=vireg.ESTIMATOR_ANALYTIC)
        cfg = fit.config()
        check(cfg["seed"] == 9 and cfg["estimator"] == vireg.ESTIMATOR_ANALYTIC, "config")
        fit.observe([1.0, 2.0, 3.0], 4.0)
        fit.observe([2.0, 1.0, 0.0], 1.0)
        before = fit.state_bytes()
        raises(vireg.ERR_DIMENSION, fit.observe, [1.0, 2.0], 1.0)
        raises(vireg.ERR_NON_FINITE, fit.observe, [1.0, float("nan"), 2.0], 1.0)
        raises(vireg.ERR_NON_FINITE, fit.observe, [1.0, 2.0, 3.0], float("inf"))
        e = raises(vireg.ERR_NON_FINITE, fit.observe_rows,
                   [[1, 2, 3], [4, 5, 6], [7, float("-inf"), 9]], [1, 2, 3])
        check(e is not None and e.bad_row == 2, "bad_row")
        big = 1e30 if precision == "f32" else 1e200  # its square overflows
        raises(vireg.ERR_OVERFLOW, fit.observe, [big, big, big], big)
        raises(vireg.ERR_INVALID_ARGUMENT, fit.step, 0)
        raises(vireg.ERR_INVALID_ARGUMENT, fit.quantile, 0, 1.5)
        raises(vireg.ERR_NON_FINITE, fit.quantile, 0, float("nan"))
        raises(vireg.ERR_DIMENSION, fit.summary, 5)
        raises(vireg.ERR_DIMENSION, fit.predict, [1.0])
        raises(vireg.ERR_NON_FINITE, fit.set_learning_rate, float("inf"))
        # nothing fitted yet: the posterior getters say so
        raises(vireg.ERR_NOT_FITTED, fit.loc)
        raises(vireg.ERR_NOT_FITTED, fit.scale)
        raises(vireg.ERR_NOT_FITTED, fit.summary, 0)
        raises(vireg.ERR_NOT_FITTED, fit.quantile, 0, 0.5)
        raises(vireg.ERR_NOT_FITTED, fit.draw)
        raises(vireg.ERR_NOT_FITTED, fit.predict, [1.0, 2.0, 3.0])
        cond = fit.condition()
        check(math.isfinite(cond) and cond >= 0, "condition %r" % cond)
        check(fit.state_bytes() == before, "state unchanged after errors (%s)" % precision)
        # a state of another size than the library's is refused, untouched
        wrong = fit._f.state(len(before) - 8)
        s = fit._f.init_sized(wrong, len(before) - 8, 3, None)
        check(s == vireg.ERR_STATE_SIZE and bytes(wrong) == bytes(len(before) - 8),
              "state size refused (%d)" % s)
        raises(vireg.ERR_MISMATCH, fit.merge, vireg.Fit(2, precision))
        # a zero-filled state is "not initialised"
        zero = vireg.Fit.__new__(vireg.Fit)
        zero._f, zero.precision = fit._f, precision
        zero.guide, zero._g = "diagonal", ""
        zero._state = fit._f.state(len(before))
        raises(vireg.ERR_UNINITIALISED, lambda: zero.rows)
        raises(vireg.ERR_UNINITIALISED, zero.solve_exact)
        raises(vireg.ERR_UNINITIALISED, zero.save)
        # checkpoints: truncated and corrupted ones are refused
        blob = fit.save()
        check(len(blob) > 0, "checkpoint size")
        raises(vireg.ERR_TRUNCATED, vireg.Fit.load, blob[:-1], precision)
        raises(vireg.ERR_TRUNCATED, vireg.Fit.load, blob[:10], precision)
        bad = bytearray(blob)
        bad[len(bad) // 2] ^= 1
        e = raises(vireg.ERR_CHECKSUM, vireg.Fit.load, bytes(bad), precision)
        other = "f32" if precision == "f64" else "f64"
        try:
            vireg.Fit.load(blob, other)
            check(False, "a checkpoint was loaded into the other precision")
        except vireg.Error as e:
            check(e.status == vireg.ERR_INCOMPATIBLE, "incompatible")
        restored = vireg.Fit.load(blob, precision)
        check(restored.rows == 2 and restored.state_bytes() is not None, "restored")
        # the callback: every report, stop, and exceptions surface after the run
        seen = []
        rep = fit.run(50, 10, lambda step, loss: seen.append(step) is None)
        check(seen == [0, 10, 20, 30, 40, 49] and rep["steps"] == 50, "callback steps %r" % seen)
        check(fit.summary(0)["sd"] > 0, "fitted after a run")
        rep = fit.run(50, 10, lambda step, loss: step < 20)
        check(rep["stopped"] and rep["steps"] == 21, "stopped run")

        def boom(step, loss):
            raise KeyError("boom")

        try:
            fit.run(50, 1, boom)
            check(False, "the callback's exception was lost")
        except KeyError:
            pass
        check(fit.rows == 2, "usable after a callback exception")


def test_full_basics():
    """The full-rank guide: every error path, the state unchanged on error, the covariances."""
    cap = vireg.max_features()
    for precision in ("f32", "f64"):
        tag = "[full %s] " % precision
        raises(vireg.ERR_FEATURES, vireg.Fit, 0, precision, "full")
        raises(vireg.ERR_FEATURES, vireg.Fit, cap + 1, precision, guide="full")
        raises(vireg.ERR_CONFIG, vireg.Fit, 2, precision, "full", prior_coef=-1.0)
        try:
            vireg.Fit(2, precision, guide="lowrank")
            check(False, tag + "an unknown guide was accepted")
        except ValueError:
            pass
        fit = vireg.Fit(3, precision, guide="full", seed=9)
        check(fit.guide == "full" and fit.features == 3 and fit.rows == 0, tag + "fresh fit")
        check(fit.config()["seed"] == 9, tag + "config")
        check(len(fit.state_bytes()) == fit._f.full_size() > fit._f.fit_size(), tag + "size")
        synth = vireg.Synth(3, 5, precision)
        rows, ys = [], []
        for _ in range(60):
            x, y = synth.next()
            rows.append(x)
            ys.append(y)
        fit.observe(rows[0], ys[0])
        fit.observe_rows(rows[1:], ys[1:])
        check(fit.rows == 60, tag + "rows")
        before = fit.state_bytes()
        raises(vireg.ERR_DIMENSION, fit.observe, [1.0, 2.0], 1.0)
        raises(vireg.ERR_NON_FINITE, fit.observe, [1.0, float("nan"), 2.0], 1.0)
        e = raises(vireg.ERR_NON_FINITE, fit.observe_rows, [[1, 2, 3], [4, float("inf"), 6]],
                   [1, 2])
        check(e is not None and e.bad_row == 1 and "vireg_full_" in e.call, tag + "bad_row")
        raises(vireg.ERR_INVALID_ARGUMENT, fit.step, 0)
        raises(vireg.ERR_NOT_FITTED, fit.loc)
        raises(vireg.ERR_NOT_FITTED, fit.sd)
        raises(vireg.ERR_NOT_FITTED, fit.cov)
        raises(vireg.ERR_NOT_FITTED, fit.cholesky)
        raises(vireg.ERR_NOT_FITTED, fit.summary, 0)
        raises(vireg.ERR_NOT_FITTED, fit.draw)
        raises(vireg.ERR_NOT_FITTED, fit.predict, [1.0, 2.0, 3.0])
        raises(vireg.ERR_MISMATCH, fit.merge, vireg.Fit(2, precision, "full"))
        try:
            fit.merge(vireg.Fit(3, precision))
            check(False, tag + "a merge across guides was accepted")
        except ValueError:
            pass
        check(fit.state_bytes() == before, tag + "state unchanged after errors")

        rep = fit.solve_exact()
        check(set(rep) == {"elbo", "mean_field_elbo", "iterations"}, tag + "report %r" % rep)
        check(rep["elbo"] >= rep["mean_field_elbo"] - 1e-3 * abs(rep["mean_field_elbo"]),
              tag + "the full-rank optimum is at least the mean-field one")
        check(fit.elbo() == rep["elbo"], tag + "elbo")
        d = 5
        cov, chol, sd = fit.cov().tolist(), fit.cholesky().tolist(), fit.sd().tolist()
        check(len(cov) == d and all(len(r) == d for r in cov), tag + "cov shape")
        tol = 1e-4 if precision == "f32" else 1e-12
        for i in range(d):
            check(math.isclose(cov[i][i], sd[i] * sd[i], rel_tol=tol), tag + "cov diagonal")
            for j in range(d):
                check(cov[i][j] == cov[j][i], tag + "cov symmetric")
                check(j <= i or chol[i][j] == 0, tag + "cholesky lower")
                llt = sum(chol[i][k] * chol[j][k] for k in range(d))
                check(math.isclose(llt, cov[i][j], rel_tol=tol, abs_tol=tol * cov[i][i]),
                      tag + "L L^T = S")
        check(any(cov[i][j] != 0 for i in range(d) for j in range(d) if i != j),
              tag + "correlated")
        raises(vireg.ERR_DIMENSION, fit.summary, d)
        raises(vireg.ERR_INVALID_ARGUMENT, fit.quantile, 0, 0.0)
        q03, q97 = fit.quantile(1, 0.03), fit.quantile(1, 0.97)
        check(q03 < fit.summary(1)["median"] < q97, tag + "quantiles")
        copy = fit.copy()
        check(L(copy.draw(2)) == L(fit.draw(2)), tag + "a copy draws the same")
        seen = []
        rep = fit.run(30, 10, lambda step, loss: seen.append(step) is None)
        check(seen == [0, 10, 20, 29] and rep["steps"] == 30, tag + "callback %r" % seen)
        m, s = fit.predict([0.5, 0.5, 0.5])
        check(math.isfinite(m) and s > 0, tag + "predict")

        # checkpoints: a round trip mid-run continues bit for bit; the other guide's, the
        # other precision's, truncated and corrupted checkpoints are refused
        blob = fit.save()
        check(len(blob) == fit._f.full_checkpoint_size() > fit._f.checkpoint_size(),
              tag + "checkpoint size")
        restored = vireg.Fit.load(blob, precision, guide="full")
        check(restored.guide == "full" and restored.state_bytes() == fit.state_bytes(),
              tag + "restored state")
        check(restored.step(20) == fit.step(20) and L(restored.draw(3)) == L(fit.draw(3))
              and L(restored.cov()) == L(fit.cov()), tag + "resumed bit for bit")
        check(restored.save() == fit.save(), tag + "saved again")
        other = "f32" if precision == "f64" else "f64"
        mf_blob = vireg.Fit(3, precision).save()
        raises(vireg.ERR_INCOMPATIBLE, vireg.Fit.load, blob, precision)
        raises(vireg.ERR_INCOMPATIBLE, vireg.Fit.load, blob, other, "full")
        raises(vireg.ERR_INCOMPATIBLE, vireg.Fit.load, mf_blob, precision, "full")
        raises(vireg.ERR_TRUNCATED, vireg.Fit.load, blob[:-1], precision, "full")
        bad = bytearray(blob)
        bad[len(bad) // 2] ^= 1
        raises(vireg.ERR_CHECKSUM, vireg.Fit.load, bytes(bad), precision, "full")

        # the mean-field guide's covariance: diagonal, its scales squared
        mf = vireg.Fit(3, precision)
        mf.observe_rows(rows, ys)
        raises(vireg.ERR_NOT_FITTED, mf.cov)
        mf.solve_exact()
        sc = L(mf.scale())
        check(L(mf.sd()) == sc, tag + "mean-field sd")
        # (the square rounded to the precision: exact in a double, then rounded once)
        sq = [mf._f.real(v * v).value for v in sc]
        check(L(mf.cov()) == [[sq[i] if i == j else 0.0 for j in range(d)] for i in range(d)],
              tag + "mean-field cov")
        try:
            mf.cholesky()
            check(False, tag + "mean-field cholesky accepted")
        except TypeError:
            pass


def rust_reference():
    path = os.environ.get("VIREG_REFERENCE")
    if path:
        with open(path) as f:
            return json.load(f)
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir)
    cmd = ["cargo", "test", "--release", "--quiet", "--test", "c_api", "--", "--ignored",
           "--exact", "print_python_reference", "--nocapture"]
    out = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith('{"f64"'):
            return json.loads(line)
    sys.exit("test_vireg: no Rust reference (%s):\n%s%s" % (" ".join(cmd), out.stdout, out.stderr))


def test_matches_rust(ref, precision):
    r = ref[precision]
    p, n, steps = r["features"], r["rows"], r["svi_steps"]
    synth = vireg.Synth(p, r["seed"], precision)
    xs, ys = [], []
    for _ in range(n):
        x, y = synth.next()
        xs.append(x)
        ys.append(y)
    truth = synth.truth()
    tag = "[%s] " % precision
    check(truth[0] == r["truth_alpha"] and truth[-1] == r["truth_sigma"], tag + "truth")
    check(ys[-1] == r["y_last"], tag + "data")

    exact = vireg.Fit(p, precision)
    exact.observe_rows(xs, ys)
    er = exact.solve_exact()
    check(L(exact.loc()) == r["exact_loc"], tag + "exact loc %r != %r" % (exact.loc(), r["exact_loc"]))
    check(L(exact.scale()) == r["exact_scale"], tag + "exact scale")
    check(er["elbo"] == r["exact_elbo"] and er["iterations"] == r["exact_iterations"],
          tag + "exact report")

    svi = vireg.Fit(p, precision)
    svi.observe_rows(xs, ys)
    rep = svi.run(steps)
    check(rep["loss"] == r["svi_loss"] and rep["elbo"] == r["svi_elbo"], tag + "svi report")
    check(rep["averaged"] == r["svi_averaged"], tag + "averaged")
    check(L(svi.loc()) == r["svi_loc"], tag + "svi loc %r != %r" % (svi.loc(), r["svi_loc"]))
    check(L(svi.scale()) == r["svi_scale"], tag + "svi scale")
    draws = [v for row in L(svi.draw(3)) for v in row]
    check(draws == r["draws"], tag + "draws")
    m, s = exact.predict(r["predict_x"])
    check(m == r["predict_mean"] and s == r["predict_sd"], tag + "predict")

    flat = lambda m: [v for row in L(m) for v in row]  # noqa: E731
    check(flat(exact.cov()) == r["exact_cov"], tag + "mean-field cov")

    # the full-rank guide, exact and by SVI
    full = vireg.Fit(p, precision, guide="full")
    full.observe_rows(xs, ys)
    fr = full.solve_exact()
    check(fr["elbo"] == r["full_exact_elbo"] and fr["mean_field_elbo"] == r["full_exact_mf_elbo"]
          and fr["iterations"] == r["full_exact_iterations"], tag + "full exact report %r" % fr)
    check(fr["mean_field_elbo"] == er["elbo"], tag + "full solve starts at the mean-field optimum")
    check(L(full.loc()) == r["full_exact_loc"], tag + "full exact loc")
    check(L(full.sd()) == r["full_exact_sd"], tag + "full exact sd")
    check(flat(full.cov()) == r["full_exact_cov"], tag + "full exact cov")
    m, s = full.predict(r["predict_x"])
    check(m == r["full_predict_mean"] and s == r["full_predict_sd"], tag + "full predict")
    fsvi = vireg.Fit(p, precision, guide="full")
    fsvi.observe_rows(xs, ys)
    rep = fsvi.run(steps)
    check(rep["loss"] == r["full_svi_loss"] and rep["elbo"] == r["full_svi_elbo"]
          and rep["averaged"] == r["full_svi_averaged"], tag + "full svi report")
    check(L(fsvi.loc()) == r["full_svi_loc"], tag + "full svi loc")
    check(L(fsvi.sd()) == r["full_svi_sd"], tag + "full svi sd")
    check(flat(fsvi.cov()) == r["full_svi_cov"], tag + "full svi cov")
    check(flat(fsvi.draw(3)) == r["full_draws"], tag + "full draws")

    # merging two halves recovers the whole data's posterior
    a, b = vireg.Fit(p, precision), vireg.Fit(p, precision)
    a.observe_rows(xs[: n // 2], ys[: n // 2])
    b.observe_rows(xs[n // 2 :], ys[n // 2 :])
    a.merge(b)
    a.solve_exact()
    tol = 1e-3 if precision == "f32" else 1e-9
    check(all(math.isclose(u, v, rel_tol=tol, abs_tol=tol) for u, v in zip(a.loc(), exact.loc())),
          tag + "merge")


def main():
    # VIREG_LIB names the library under test (tests/c_api.rs: that build's); it wins over any
    # library an in-place build left inside python/vireg/.
    vireg.load_library(os.environ.get("VIREG_LIB"))
    test_basics()
    test_full_basics()
    ref = rust_reference()
    ok_before = failures
    for precision in ("f64", "f32"):
        test_matches_rust(ref, precision)
    if failures == ok_before:
        print("test_vireg: the Python fit matches the Rust reference (f64, f32; both guides) "
              "bit for bit")
    print("test_vireg: %d checks, %d passed, %d failed" % (checks, checks - failures, failures))
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
