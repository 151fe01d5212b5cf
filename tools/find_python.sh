#!/bin/sh
# Prints the interpreter to build .venv with: the Lambda runtime's Python 3.13 when this machine can run
# it, else the newest of 3.12 / 3.11 (with a warning on stderr). A pyenv shim for a version that is
# installed but not selected exits 127, so each candidate is run, not just looked up.
runs() { [ -n "$1" ] && "$1" -c 'import sys' >/dev/null 2>&1; }

for candidate in "$(command -v python3.13 2>/dev/null)" \
                 "$( (pyenv prefix 3.13 2>/dev/null || true) | head -n 1)/bin/python3.13"; do
    if runs "$candidate"; then echo "$candidate"; exit 0; fi
done
for version in 3.12 3.11; do
    for candidate in "$(command -v python$version 2>/dev/null)" \
                     "$( (pyenv prefix $version 2>/dev/null || true) | head -n 1)/bin/python$version"; do
        if runs "$candidate"; then
            echo "warning: Python 3.13 (the Lambda runtime) not found; using $candidate" >&2
            echo "$candidate"; exit 0
        fi
    done
done
echo "error: no Python 3.13, 3.12 or 3.11 found; install Python 3.13" >&2
exit 1
