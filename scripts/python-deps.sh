#!/usr/bin/env bash
# Download the Python wheels the tests install offline (tests/c_api.rs: NumPy for
# python/tests/test_vireg.py; tests/python_package.rs: `pip install ./python` with its build
# backend, and NumPy, pandas, ArviZ and Dask in a fresh virtual environment) into the wheelhouse
# target/wheelhouse (or $VIREG_WHEELHOUSE): the versions python/tests/requirements.txt pins,
# binary wheels only, for this machine's python3. Needs the network once; a file already there
# is not downloaded again. Fails loudly (non-zero exit) when it cannot.
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELHOUSE=${VIREG_WHEELHOUSE:-target/wheelhouse}
die() { echo "python-deps: ERROR: $*" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || die "python3 not found (scripts/host-deps.sh installs it)"
python3 -m pip --version >/dev/null 2>&1 || die "python3 has no pip"
python3 -c "import venv" 2>/dev/null \
    || die "python3 cannot create virtual environments (Debian: apt-get install python3-venv)"
mkdir -p "$WHEELHOUSE"
python3 -m pip download --disable-pip-version-check --quiet --only-binary=:all: \
    -d "$WHEELHOUSE" -r python/tests/requirements.txt \
    || die "pip download into $WHEELHOUSE failed"
echo "python-deps: $(ls "$WHEELHOUSE" | wc -l) wheels in $WHEELHOUSE ($(du -sh "$WHEELHOUSE" | cut -f1))"
