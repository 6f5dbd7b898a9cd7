#!/usr/bin/env bash
# Fetches the app's pinned packages (pyproject.toml's dependencies, constraints.txt's versions)
# as wheels into deploy/wheels/, with this machine's pip and its certificates. The Dockerfile
# installs from them offline when they are there: for a build machine whose containers cannot
# reach PyPI themselves (a proxy with a certificate authority of its own, no network). Without
# them the image's build installs from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
mkdir -p deploy/wheels
"$PYTHON" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
  >deploy/wheels/requirements.txt
# redis-py needs async-timeout on Python before 3.11.3, which Debian 12's 3.11.2 is.
echo 'async-timeout>=4.0.3' >>deploy/wheels/requirements.txt
# Built or fetched for this machine's Python, which must be the image's: CPython 3.11 on
# glibc x86-64 (Debian 12); packages published only as source are built here once.
"$PYTHON" -m pip wheel -q -c constraints.txt -r deploy/wheels/requirements.txt -w deploy/wheels
ls deploy/wheels/*.whl | wc -l | xargs echo "wheels in deploy/wheels:"
