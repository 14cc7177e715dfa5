"""vireg — Bayesian linear regression by variational inference, from Python.

A ctypes binding of vireg's C library (no compiled Python extension), with NumPy arrays in and
out. ``pip install ./python`` (from the repository, with Rust installed) builds the library and
installs it inside the package; in a source checkout the package loads the file named by the
environment variable ``VIREG_LIB``, else the repository's ``target/release/libvireg.so``
(``cargo build --release``).

    >>> import numpy as np, vireg
    >>> X, y = vireg.Synth(features=2, seed=1).rows(500)
    >>> fit = vireg.Fit(features=2)              # precision="f32", guide="full", seed=..., ...
    >>> fit.observe_rows(X, y)                   # NumPy arrays are read in place
    >>> fit.solve_exact()                        # or fit.run(20000): SVI
    >>> fit.loc(), fit.cov()                     # latent order: alpha, beta_1..beta_p, ln sigma
    >>> fit.summary()                            # a pandas DataFrame (a dict without pandas)
    >>> fit.predict(np.array([[0.5, -1.0]]))     # predictive means and sds
    >>> idata = fit.to_inference_data(draws=1000)  # ArviZ, if installed

Everything the C API offers is here, in both precisions (``precision="f64"``, the default, or
``"f32"``, bit for bit what a microcontroller computes) and both guides (``guide="diagonal"``,
the default mean-field one, or ``"full"``, the full-rank one with the whole covariance).
:mod:`vireg.dask` fits a Dask DataFrame across a cluster. Errors raise :class:`Error`, whose
``status`` is the C status code; on error nothing changed.
"""

from ._capi import (
    ERR_BAD_CHECKPOINT,
    ERR_BUFFER_TOO_SMALL,
    ERR_BUSY,
    ERR_CHECKSUM,
    ERR_CONFIG,
    ERR_DIMENSION,
    ERR_DIVERGED,
    ERR_FEATURES,
    ERR_ILL_CONDITIONED,
    ERR_INCOMPATIBLE,
    ERR_INVALID_ARGUMENT,
    ERR_MISALIGNED,
    ERR_MISMATCH,
    ERR_NON_FINITE,
    ERR_NOT_CONVERGED,
    ERR_NOT_FITTED,
    ERR_NULL,
    ERR_OVERFLOW,
    ERR_PANIC,
    ERR_STATE_SIZE,
    ERR_TRUNCATED,
    ERR_UNINITIALISED,
    ESTIMATOR_ANALYTIC,
    ESTIMATOR_MONTE_CARLO,
    GUIDES,
    OK,
    PRECISIONS,
    Error,
    bundled_library,
    find_library,
    library_path,
    load_library,
    max_features,
    status_str,
    version,
)
from ._fit import Fit, Synth, parameter_names

__all__ = [
    "Error",
    "Fit",
    "Synth",
    "bundled_library",
    "find_library",
    "library_path",
    "load_library",
    "max_features",
    "parameter_names",
    "status_str",
    "version",
    "OK",
    "ERR_BAD_CHECKPOINT",
    "ERR_BUFFER_TOO_SMALL",
    "ERR_BUSY",
    "ERR_CHECKSUM",
    "ERR_CONFIG",
    "ERR_DIMENSION",
    "ERR_DIVERGED",
    "ERR_FEATURES",
    "ERR_ILL_CONDITIONED",
    "ERR_INCOMPATIBLE",
    "ERR_INVALID_ARGUMENT",
    "ERR_MISALIGNED",
    "ERR_MISMATCH",
    "ERR_NON_FINITE",
    "ERR_NOT_CONVERGED",
    "ERR_NOT_FITTED",
    "ERR_NULL",
    "ERR_OVERFLOW",
    "ERR_PANIC",
    "ERR_STATE_SIZE",
    "ERR_TRUNCATED",
    "ERR_UNINITIALISED",
    "ESTIMATOR_MONTE_CARLO",
    "ESTIMATOR_ANALYTIC",
    "GUIDES",
    "PRECISIONS",
]
