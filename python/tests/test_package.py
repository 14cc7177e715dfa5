"""Tests of the installed vireg package (plain checks, no test framework).

tests/python_package.rs runs it in a fresh virtual environment where `pip install ./python`
installed the package, with NumPy, pandas, ArviZ and Dask:

    python test_package.py REFERENCE.json

REFERENCE.json holds numbers the Rust API computed for the seed's data (tests/python_package.rs
writes it). Exits non-zero on any failure; the last line counts the checks.
"""

import ctypes
import importlib.metadata
import inspect
import json
import os
import sys
import time

import numpy as np

checks = 0
failures = 0


def check(cond, what):
    global checks, failures
    checks += 1
    if not cond:
        failures += 1
        print("FAILED: %s" % what, file=sys.stderr)


def close(a, b, rtol, atol=0.0):
    return bool(np.allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64),
                            rtol=rtol, atol=atol))


def test_package(vireg):
    """Item 5: the package is the installed one, with its own library; hints and docstrings."""
    site = os.path.realpath(sys.prefix)
    check(os.path.realpath(vireg.__file__).startswith(site), "imported from the venv: %s"
          % vireg.__file__)
    bundled = vireg.bundled_library()
    check(bundled is not None and os.path.dirname(bundled) == os.path.dirname(vireg.__file__),
          "a library inside the package: %r" % bundled)
    check(vireg.library_path() == os.path.abspath(bundled), "the bundled library is the one "
          "loaded: %s" % vireg.library_path())
    check(importlib.metadata.version("vireg") == vireg.version(),
          "package version %s = library version %s"
          % (importlib.metadata.version("vireg"), vireg.version()))
    check(os.path.exists(os.path.join(os.path.dirname(vireg.__file__), "py.typed")), "py.typed")
    check(vireg.max_features() == int(os.environ["VIREG_EXPECT_MAX_FEATURES"]), "capacity")
    import vireg.dask

    public = [vireg.Fit, vireg.Synth, vireg.load_library, vireg.find_library,
              vireg.dask.fit, vireg.dask.fit_delayed]
    public += [m for n, m in inspect.getmembers(vireg.Fit) if not n.startswith("_")]
    for obj in public:
        name = getattr(obj, "__qualname__", repr(obj))
        doc = obj.__doc__ if not isinstance(obj, property) else obj.fget.__doc__
        check(bool(doc and doc.strip()), "docstring: %s" % name)
        fn = obj.fget if isinstance(obj, property) else obj
        if inspect.isfunction(fn) and fn.__name__ != "__init__":
            hints = fn.__annotations__
            check("return" in hints, "return type hint: %s" % name)


def test_reference(vireg, ref):
    """solve_exact through the installed package equals the Rust API's, bit for bit."""
    for precision in ("f64", "f32"):
        r = ref[precision]
        tag = "[%s] " % precision
        X, y = vireg.Synth(r["features"], r["seed"], precision).rows(r["rows"])
        check(X.dtype == np.dtype("float%d" % (64 if precision == "f64" else 32)), tag + "dtype")
        fit = vireg.Fit(features=r["features"], precision=precision)
        fit.observe_rows(X, y)
        rep = fit.solve_exact()
        check(fit.loc().tolist() == r["exact_loc"], tag + "exact loc %r" % fit.loc())
        check(fit.scale().tolist() == r["exact_scale"], tag + "exact scale")
        check(rep["elbo"] == r["exact_elbo"], tag + "exact elbo")
        full = vireg.Fit(features=r["features"], precision=precision, guide="full")
        full.observe_rows(X, y)
        full.solve_exact()
        check(full.cov().ravel().tolist() == r["full_exact_cov"], tag + "full-rank cov")


class _Spy:
    """Wraps a ctypes function of a precision's family, recording the x pointers it gets."""

    def __init__(self, family, name):
        self.family, self.name = family, name
        self.inner = getattr(family, name)
        self.pointers = []

    def __enter__(self):
        def spy(state, x, *rest):
            self.pointers.append(ctypes.cast(x, ctypes.c_void_p).value)
            return self.inner(state, x, *rest)

        setattr(self.family, self.name, spy)
        return self

    def __exit__(self, *exc):
        setattr(self.family, self.name, self.inner)


def test_numpy(vireg):
    """Item 6: keyword configuration, NumPy in (in place where possible) and out."""
    p, n = 4, 3000
    X, y = vireg.Synth(p, 7).rows(n)
    fit = vireg.Fit(features=p, precision="f64", guide="diagonal", estimator="analytic",
                    lr=0.05, seed=11, prior_coef=5.0, prior_intercept=50.0, prior_noise=3.0)
    cfg = fit.config()
    check(cfg["estimator"] == vireg.ESTIMATOR_ANALYTIC and cfg["lr"] == 0.05
          and cfg["seed"] == 11 and cfg["prior_coef"] == 5.0 and cfg["prior_intercept"] == 50.0
          and cfg["prior_noise"] == 3.0, "config %r" % cfg)
    check(vireg.Fit(features=2, learning_rate=0.25).config()["lr"] == 0.25, "learning_rate")
    for bad in (dict(estimator="exactly"), dict(guide="lowrank"), dict(precision="f16")):
        try:
            vireg.Fit(features=2, **bad)
            check(False, "accepted %r" % bad)
        except ValueError:
            pass
    try:
        vireg.Fit(features=2, learnig_rate=0.1)
        check(False, "a misspelt keyword was accepted")
    except TypeError:
        pass

    # In place: a C-contiguous array of the fit's dtype, and the leading columns of a wider one
    # (the row stride), reach C as the caller's own pointer; other layouts are copied once.
    xa, stride, ya = fit._row_buffers(X, y)
    check(xa is X and ya is y and stride == p, "C-contiguous: no copy")
    wide = np.ascontiguousarray(np.hstack([X, np.full((n, 3), np.nan)]))
    xa, stride, _ = fit._row_buffers(wide[:, :p], y)
    check(np.shares_memory(xa, wide) and stride == p + 3, "leading columns: no copy, stride %d"
          % stride)
    for other in (np.asfortranarray(X), X.astype(np.float32), X[::-1], X[:, ::-1]):
        xa, stride, _ = fit._row_buffers(other, y)
        check(not np.shares_memory(xa, other) and xa.flags.c_contiguous and stride == p,
              "copied: %s" % (other.strides,))
    raw = bytearray(X.nbytes + y.nbytes + 1)  # both at an odd address: copied, aligned
    Xu = np.frombuffer(raw, dtype=np.float64, count=X.size, offset=1).reshape(n, p)
    yu = np.frombuffer(raw, dtype=np.float64, count=n, offset=1 + X.nbytes)
    Xu[...], yu[...] = X, y
    xa, stride, ya = fit._row_buffers(Xu, yu)
    check(not Xu.flags.aligned and xa.flags.aligned and ya.flags.aligned
          and not np.shares_memory(xa, Xu) and not np.shares_memory(ya, yu), "misaligned: copied")
    misaligned = vireg.Fit(features=p, estimator="analytic", lr=0.05, seed=11, prior_coef=5.0,
                           prior_intercept=50.0, prior_noise=3.0)
    misaligned.observe_rows(Xu, yu)
    with _Spy(fit._f, "observe_rows") as spy:
        fit.observe_rows(X, y)
    check(misaligned.state_bytes() == fit.state_bytes(), "misaligned rows fold the same bytes")
    check(spy.pointers == [X.ctypes.data], "the C call got X's own pointer")
    via_wide = vireg.Fit(features=p, estimator="analytic", lr=0.05, seed=11, prior_coef=5.0,
                         prior_intercept=50.0, prior_noise=3.0)
    with _Spy(via_wide._f, "observe_rows") as spy:
        via_wide.observe_rows(wide[:, :p], y)
    check(spy.pointers == [wide.ctypes.data], "the C call got the wide array's pointer")
    check(via_wide.state_bytes() == fit.state_bytes(), "strided rows fold the same bytes")
    lists = vireg.Fit(features=p, estimator="analytic", lr=0.05, seed=11, prior_coef=5.0,
                      prior_intercept=50.0, prior_noise=3.0)
    lists.observe_rows(X.tolist(), y.tolist())
    check(lists.state_bytes() == fit.state_bytes(), "lists fold the same bytes")
    one = vireg.Fit(features=p, estimator="analytic", lr=0.05, seed=11, prior_coef=5.0,
                    prior_intercept=50.0, prior_noise=3.0)
    for i in range(50):
        one.observe(X[i], y[i])
    check(one.rows == 50, "observe: one row at a time")
    bad = X[:10].copy()
    bad[6, 2] = np.inf
    before = fit.state_bytes()
    try:
        fit.observe_rows(bad, y[:10])
        check(False, "a row with inf was accepted")
    except vireg.Error as e:
        check(e.status == vireg.ERR_NON_FINITE and e.bad_row == 6, "bad_row %r" % e.bad_row)
    for Xb, yb in ((X[:5], y[:4]), (X[:5, :3], y[:5]), (X[0], y[:1])):
        try:
            fit.observe_rows(Xb, yb)
            check(False, "shapes %s, %s accepted" % (Xb.shape, yb.shape))
        except vireg.Error as e:
            check(e.status == vireg.ERR_DIMENSION, "dimension error")
    check(fit.state_bytes() == before, "state unchanged after refusals")

    # NumPy out, in the latent order alpha, beta, ln sigma
    fit.solve_exact()
    d = p + 2
    loc, scale, cov = fit.loc(), fit.scale(), fit.cov()
    check(loc.shape == (d,) and scale.shape == (d,) and cov.shape == (d, d)
          and loc.dtype == np.float64, "shapes")
    check(np.array_equal(cov, np.diag(scale * scale)), "mean-field cov is diagonal")
    truth = vireg.Synth(p, 7).truth()
    check(close(loc[:-1], truth[:-1], 0, 0.1) and abs(np.exp(loc[-1]) - truth[-1]) < 0.1,
          "recovers the truth: %r vs %r" % (loc, truth))
    import pickle

    check(pickle.loads(pickle.dumps(fit)).state_bytes() == fit.state_bytes(), "pickle")
    draws = fit.draw(5)
    check(draws.shape == (5, d) and (draws[:, -1] > 0).all(), "draws")

    # summary: a DataFrame with ArviZ's labels, or a dict of rows without pandas
    table = fit.summary()
    import pandas as pd

    names = ["alpha"] + ["beta[%d]" % j for j in range(p)] + ["sigma"]
    check(isinstance(table, pd.DataFrame) and list(table.index) == names, "summary index")
    check(list(table.columns) == ["mean", "sd", "median", "eti_3%", "eti_97%"], "columns %r"
          % list(table.columns))
    check(table["mean"].tolist() == [fit.summary(i)["mean"] for i in range(d)], "summary means")
    check(table.loc["beta[1]", "mean"] == loc[2], "beta[1] is latent 2")
    check((table["eti_3%"] < table["median"]).all() and (table["median"] < table["eti_97%"]).all(),
          "intervals")
    saved = sys.modules.get("pandas")
    sys.modules["pandas"] = None  # makes `import pandas` raise ImportError
    try:
        plain = fit.summary()
    finally:
        sys.modules["pandas"] = saved
    check(isinstance(plain, dict) and list(plain) == names
          and plain["sigma"] == table.loc["sigma"].to_dict(), "summary without pandas")

    # predict: one row -> floats, rows -> arrays
    means, sds = fit.predict(X[:20])
    check(means.shape == (20,) and sds.shape == (20,), "predict shapes")
    m0, s0 = fit.predict(X[0])
    check(isinstance(m0, float) and m0 == means[0] and s0 == sds[0], "predict one row")
    check(close(means, loc[0] + X[:20] @ loc[1:-1], 1e-12), "predictive means")

    # f32: float32 arrays; the full-rank guide: a correlated covariance and its factor
    f32 = vireg.Fit(features=p, precision="f32")
    f32.observe_rows(X, y)  # float64 rows, converted once
    f32.solve_exact()
    check(f32.loc().dtype == np.float32 and f32.cov().dtype == np.float32, "f32 out")
    check(close(f32.loc(), loc, 1e-4, 1e-4), "f32 near f64")
    full = vireg.Fit(features=p, guide="full", seed=3)
    full.observe_rows(X, y)
    full.solve_exact()
    fc, L = full.cov(), full.cholesky()
    check(np.array_equal(fc, fc.T) and np.abs(fc - np.diag(np.diag(fc))).max() > 0,
          "full-rank cov symmetric, correlated")
    check(close(L @ L.T, fc, 1e-10, 1e-14), "L L^T = cov")
    check(close(full.scale() ** 2, np.diag(fc), 1e-12), "full-rank scale")
    return fit


def _posterior(fit):
    fit.solve_exact()
    return np.concatenate([fit.loc(), fit.cov().ravel()])


def test_weights(vireg):
    """Issue 12: weighted rows and forgetting through the package, both guides, in f64."""
    p, n = 3, 400
    X, y = vireg.Synth(p, 9).rows(n)
    rng = np.random.default_rng(12)
    k = rng.integers(0, 4, size=n)  # integer weights, zeros included
    for guide in ("diagonal", "full"):
        tag = "[%s] " % guide
        # integer weights = the rows repeated
        weighted = vireg.Fit(features=p, guide=guide)
        weighted.observe_rows(X, y, weights=k.astype(np.float64))
        repeated = vireg.Fit(features=p, guide=guide)
        repeated.observe_rows(np.repeat(X, k, axis=0), np.repeat(y, k))
        check(weighted.effective_rows == float(k.sum()) == repeated.effective_rows,
              tag + "effective rows %r = %d" % (weighted.effective_rows, k.sum()))
        check(weighted.rows == int((k > 0).sum()), tag + "rows of weight 0 are not counted")
        check(close(_posterior(weighted), _posterior(repeated), 1e-9, 1e-12),
              tag + "weighted rows = repeated rows")
        one = vireg.Fit(features=p, guide=guide)
        for i in range(n):
            one.observe(X[i], y[i], weight=float(k[i]))
        check(close(_posterior(one), _posterior(weighted), 1e-12, 1e-15),
              tag + "observe(weight=) = observe_rows(weights=)")

        # forgetting = the explicit weights gamma^(N-1-i)
        g = 0.99
        forget = vireg.Fit(features=p, guide=guide, forget=g)
        check(forget.config()["forget"] == g and vireg.Fit(features=p).config()["forget"] == 1.0,
              tag + "forget in the config")
        forget.observe_rows(X, y)
        explicit = vireg.Fit(features=p, guide=guide)
        explicit.observe_rows(X, y, weights=g ** np.arange(n - 1, -1, -1.0))
        check(forget.rows == n and close(forget.effective_rows, (1 - g ** n) / (1 - g), 1e-12),
              tag + "effective rows with forgetting %r" % forget.effective_rows)
        check(close(_posterior(forget), _posterior(explicit), 1e-9, 1e-12),
              tag + "forgetting = explicit weights")
        restored = vireg.Fit.load(forget.save(), guide=guide)
        check(restored.state_bytes() == forget.state_bytes()
              and restored.config()["forget"] == g, tag + "checkpoint with forgetting")

        # set_forget from row m on: row i < m weighs g^(N-m), row i >= m g^(N-1-i)
        m = 150
        late = vireg.Fit(features=p, guide=guide)
        late.observe_rows(X[:m], y[:m])
        check(late.effective_rows == m, tag + "effective rows = rows without weights")
        late.set_forget(g)
        check(late.config()["forget"] == g, tag + "set_forget")
        late.observe_rows(X[m:], y[m:])
        w = np.where(np.arange(n) < m, g ** (n - m), g ** np.arange(n - 1, -1, -1.0))
        ref = vireg.Fit(features=p, guide=guide)
        ref.observe_rows(X, y, weights=w)
        check(close(_posterior(late), _posterior(ref), 1e-9, 1e-12),
              tag + "set_forget = explicit weights")

        # refusals leave the fit as it was, byte for byte
        fit = vireg.Fit(features=p, guide=guide, forget=g)
        fit.observe_rows(X[:50], y[:50])
        before, saved = fit.state_bytes(), fit.save()
        for bad, status in ((np.nan, vireg.ERR_NON_FINITE), (np.inf, vireg.ERR_NON_FINITE),
                            (-1.0, vireg.ERR_CONFIG)):
            wb = np.ones(20)
            wb[13] = bad
            try:
                fit.observe_rows(X[50:70], y[50:70], weights=wb)
                check(False, tag + "weight %r accepted" % bad)
            except vireg.Error as e:
                check(e.status == status and e.bad_row == 13,
                      tag + "weight %r: status %d, bad_row %r" % (bad, e.status, e.bad_row))
            try:
                fit.observe(X[50], y[50], weight=bad)
                check(False, tag + "observe: weight %r accepted" % bad)
            except vireg.Error as e:
                check(e.status == status, tag + "observe: weight %r: status %d" % (bad, e.status))
        for wb in (np.ones(19), np.ones((20, 1)), ["a"] * 20):
            try:
                fit.observe_rows(X[50:70], y[50:70], weights=wb)
                check(False, tag + "weights of shape %r accepted" % (np.shape(wb),))
            except vireg.Error as e:
                check(e.status == vireg.ERR_DIMENSION, tag + "weights' shape: status %d"
                      % e.status)
        for bad, status in ((0.0, vireg.ERR_CONFIG), (1.5, vireg.ERR_CONFIG),
                            (-0.5, vireg.ERR_CONFIG), (np.nan, vireg.ERR_NON_FINITE)):
            try:
                fit.set_forget(bad)
                check(False, tag + "set_forget(%r) accepted" % bad)
            except vireg.Error as e:
                check(e.status == status, tag + "set_forget(%r): status %d" % (bad, e.status))
        try:
            vireg.Fit(features=p, guide=guide, forget=1.5)
            check(False, tag + "forget=1.5 accepted")
        except vireg.Error as e:
            check(e.status == vireg.ERR_CONFIG, tag + "forget=1.5: status %d" % e.status)
        try:
            fit.merge(vireg.Fit(features=p, guide=guide, forget=0.5))
            check(False, tag + "merged fits of different forgetting factors")
        except vireg.Error as e:
            check(e.status == vireg.ERR_MISMATCH, tag + "merge: status %d" % e.status)
        check(fit.state_bytes() == before and fit.save() == saved,
              tag + "state unchanged after refusals")

    # the weights array reaches C in place when it can, else converted once
    fit = vireg.Fit(features=p)
    w = np.ones(n)
    check(fit._weight_buffer(w, n) is w, "weights: no copy")
    for other in (w.astype(np.float32), np.ones(2 * n)[::2], [1] * n):
        wa = fit._weight_buffer(other, n)
        check(wa.flags.c_contiguous and wa.dtype == np.float64 and not np.shares_memory(wa, other),
              "weights: copied")


def test_arviz(vireg, fit):
    """Item 7: InferenceData for ArviZ, and a clear error without ArviZ."""
    import arviz as az
    import matplotlib

    matplotlib.use("Agg")
    p, n_draws = fit.features, 4000
    stream = fit.state_bytes()
    idata = fit.to_inference_data(draws=n_draws)
    check(fit.state_bytes() == stream, "to_inference_data leaves the fit's stream alone")
    check(isinstance(idata, az.InferenceData) and "posterior" in idata.groups(), "InferenceData")
    post = idata.posterior
    check(dict(post["alpha"].sizes) == {"chain": 1, "draw": n_draws}, "alpha dims")
    check(dict(post["beta"].sizes) == {"chain": 1, "draw": n_draws, "feature": p}, "beta dims")
    check(dict(post["sigma"].sizes) == {"chain": 1, "draw": n_draws}, "sigma dims")
    summary = az.summary(idata, kind="stats")
    table = fit.summary()
    check(list(summary.index) == list(table.index), "az.summary labels %r" % list(summary.index))
    # means of 4000 draws: within 5 standard errors of the posterior means
    for name in table.index:
        sd = table.loc[name, "sd"]
        check(abs(summary.loc[name, "mean"] - table.loc[name, "mean"]) < 5 * sd / np.sqrt(n_draws),
              "az.summary mean of %s: %r vs %r" % (name, summary.loc[name, "mean"],
                                                   table.loc[name, "mean"]))
        check(abs(summary.loc[name, "sd"] / sd - 1) < 0.1, "az.summary sd of %s" % name)
    axes = az.plot_posterior(idata)
    check(np.size(axes) == p + 2, "plot_posterior: %d panels" % np.size(axes))
    saved = sys.modules.get("arviz")
    sys.modules["arviz"] = None
    try:
        fit.to_inference_data(draws=10)
        check(False, "no ImportError without ArviZ")
    except ImportError as e:
        check("needs ArviZ" in str(e) and "pip install arviz" in str(e), "message: %s" % e)
    finally:
        sys.modules["arviz"] = saved


def test_dask(vireg):
    """Item 8: a Dask DataFrame fitted on a LocalCluster of worker processes equals one
    process's fit of the same rows."""
    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client, LocalCluster, get_task_stream

    import vireg.dask

    p, n, parts = 5, 20000, 7
    X, y = vireg.Synth(p, 3).rows(n)
    df = pd.DataFrame(X, columns=["x%d" % j for j in range(p)])
    df.insert(2, "y", y)  # the response among the features' columns
    df["note"] = "ignored"
    ddf = dd.from_pandas(df, npartitions=parts)
    check(ddf.npartitions == parts, "partitions")
    single = vireg.Fit(features=p, seed=5)
    single.observe_rows(X, y)
    single.solve_exact()
    features = ["x%d" % j for j in range(p)]

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        check(len(client.scheduler_info()["workers"]) == 2, "two workers")
        pids = set(client.run(os.getpid).values())
        check(len(pids) == 2 and os.getpid() not in pids, "worker processes %r" % pids)
        with get_task_stream(client) as ts:
            fit = vireg.dask.fit(ddf, y="y", features=features, split_every=3, seed=5)
        names = [(k[0] if isinstance(k, tuple) else k, t["worker"])
                 for t in ts.data for k in [t["key"]]]
        folds = [w for k, w in names if k.startswith("fold_partition")]
        merges = [w for k, w in names if k.startswith("merge_checkpoints")]
        check(len(folds) == parts, "a fold per partition: %d" % len(folds))
        check(len(merges) == 3 + 1, "a tree of merges (7 -> 3 -> 1): %d" % len(merges))
        check(len(set(folds)) == 2, "folds on both workers")
        check(isinstance(fit, vireg.Fit) and fit.rows == n, "all rows: %d" % fit.rows)
        check(fit.config()["seed"] == 5, "configuration")
        fit.solve_exact()
        check(close(fit.loc(), single.loc(), 1e-10), "Dask loc = single-process loc: %r vs %r"
              % (fit.loc(), single.loc()))
        check(close(fit.scale(), single.scale(), 1e-10), "Dask scale = single-process scale")
        check(abs(fit.elbo() - single.elbo()) <= 1e-9 * abs(single.elbo()), "ELBO")
        gap = np.abs(fit.loc() - single.loc()).max()
        loss = fit.run(300)["loss"]
        check(np.isfinite(loss), "SVI continues on the merged fit")
        # every column but y (and no text column) by default; the full-rank guide in f32
        numeric = ddf.drop(columns=["note"])
        full = vireg.dask.fit(numeric, y="y", precision="f32", guide="full")
        f32 = vireg.Fit(features=p, precision="f32", guide="full")
        f32.observe_rows(X, y)
        full.solve_exact()
        f32.solve_exact()
        check(full.guide == "full" and full.precision == "f32" and full.rows == n, "full f32")
        check(close(full.cov(), f32.cov(), 1e-3, 1e-9), "full-rank f32 cov")
        # a weight column (not a feature), and forgetting in partition order
        wdf = numeric.assign(w=ddf["x0"].abs().round() + 1)
        w = np.abs(X[:, 0]).round() + 1
        weighted = vireg.dask.fit(wdf, y="y", weights="w", split_every=3)
        one = vireg.Fit(features=p)
        one.observe_rows(X, y, weights=w)
        check(weighted.features == p and weighted.effective_rows == one.effective_rows,
              "Dask weights: not a feature, N_w %r" % weighted.effective_rows)
        check(close(_posterior(weighted), _posterior(one), 1e-9, 1e-12), "Dask weights")
        forgetting = vireg.dask.fit(numeric, y="y", split_every=3, forget=0.9999)
        one = vireg.Fit(features=p, forget=0.9999)
        one.observe_rows(X, y)
        check(close(forgetting.effective_rows, one.effective_rows, 1e-12),
              "Dask forgetting: N_w %r vs %r" % (forgetting.effective_rows, one.effective_rows))
        check(close(_posterior(forgetting), _posterior(one), 1e-9, 1e-12),
              "Dask forgetting = one fit of the rows in order")
        for bad in (dict(y="nope"), dict(y="y", features=["x0", "zz"]),
                    dict(y="y", weights="nope")):
            try:
                vireg.dask.fit(numeric, **bad)
                check(False, "accepted %r" % bad)
            except KeyError:
                pass
    print("test_package: Dask, 2 worker processes, %d partitions, %d rows: max |loc - single| = "
          "%.3g" % (parts, n, gap))


def main():
    with open(sys.argv[1]) as f:
        ref = json.load(f)
    times = []
    t0 = time.perf_counter()
    import vireg

    test_package(vireg)
    test_reference(vireg, ref)
    times.append(("package", time.perf_counter() - t0))
    fit = test_numpy(vireg)
    times.append(("numpy", time.perf_counter() - t0 - sum(t for _, t in times)))
    test_weights(vireg)
    times.append(("weights", time.perf_counter() - t0 - sum(t for _, t in times)))
    test_arviz(vireg, fit)
    times.append(("arviz", time.perf_counter() - t0 - sum(t for _, t in times)))
    test_dask(vireg)
    times.append(("dask", time.perf_counter() - t0 - sum(t for _, t in times)))
    # for the record, not checked: where the test's time goes (imports included)
    print("test_package: seconds: " + ", ".join("%s %.1f" % kv for kv in times))
    print("test_package: %d passed, %d failed" % (checks - failures, failures))
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
