"""NumPyro's compiled SVI on the seed's model and data, timed: the reference for BENCHMARKS.md.

The seed's model (alpha ~ N(0, 100), beta ~ N(0, 10), sigma ~ HalfNormal(10), y ~ N(alpha + x·beta,
sigma)), AutoDiagonalNormal, Adam(lr 1e-2), one particle, 30 000 steps through `svi.run`, which
compiles the whole loop (`lax.fori_loop`). Prints the first run (compilation included) and the
fastest of the repeated runs (compiled, the figure BENCHMARKS.md compares with), in seconds, wall and CPU (all
threads of the process).

Usage: python scripts/numpyro_seed.py seed.csv [repeats]   (needs jax and numpyro: not a
dependency of the project; install them into a virtual environment of your own).
"""

import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpyro.infer import SVI, Trace_ELBO
from numpyro.infer.autoguide import AutoDiagonalNormal


def model(x, y):
    p = x.shape[1]
    alpha = numpyro.sample("alpha", dist.Normal(0.0, 100.0))
    beta = numpyro.sample("beta", dist.Normal(jnp.zeros(p), 10.0))
    sigma = numpyro.sample("sigma", dist.HalfNormal(10.0))
    numpyro.sample("y", dist.Normal(alpha + x @ beta, sigma), obs=y)


def main():
    data = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1, dtype=np.float32)
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    x, y = jnp.asarray(data[:, :-1]), jnp.asarray(data[:, -1])
    svi = SVI(model, AutoDiagonalNormal(model), numpyro.optim.Adam(1e-2), Trace_ELBO())
    wall, cpu = [], []
    for i in range(repeats + 1):
        t, c = time.perf_counter(), time.process_time()
        res = svi.run(jax.random.PRNGKey(i), 30_000, x, y, progress_bar=False)
        res.losses.block_until_ready()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    print(f"first run (compiling): {wall[0]:.3f} s wall, {cpu[0]:.3f} s CPU")
    med = lambda v: sorted(v)[len(v) // 2]
    print(f"compiled runs: wall fastest {min(wall[1:]):.3f} s, median {med(wall[1:]):.3f} s; "
          f"CPU fastest {min(cpu[1:]):.3f} s, median {med(cpu[1:]):.3f} s")
    print(f"final loss {float(res.losses[-1]):.2f}")


if __name__ == "__main__":
    main()
