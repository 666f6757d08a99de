#!/usr/bin/env bash
# One entry point for people and CI: sets up everything this project needs, then runs it.
#   ./go demo [--approve]   set up, then run the self-healing demo on embedded defaults
#   ./go test [pytest args] set up (including headless Chromium), then lint, type-check and run
#                           the tests with coverage (fails under pyproject's fail_under)
#   ./go suture ARGS...     set up, then run any suture command
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3.11}
VENV=.venv

setup_python() {
  if [ ! -x "$VENV/bin/python" ]; then
    echo "[setup] creating $VENV with $PYTHON" >&2
    "$PYTHON" -m venv "$VENV"
  fi
  local stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "[setup] installing suture and its dependencies into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --upgrade pip >&2
    "$VENV/bin/python" -m pip install --quiet -e '.[dev]' >&2
    rm -f "$VENV"/.installed-*
    touch "$stamp"
  fi
}

setup_browser() {
  # Browser tests drive Debian's Chromium through Playwright; Playwright never downloads a browser.
  if ! command -v chromium >/dev/null 2>&1; then
    echo "[setup] installing Debian's chromium for the browser tests" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2
  fi
}

setup_node() {
  # The forge tests run GitHub's OpenAPI description (@octokit/openapi) in a validating mock
  # (@stoplight/prism-cli), both pinned in .ci/node/package-lock.json.
  if ! command -v npm >/dev/null 2>&1; then
    echo "[setup] installing Debian's nodejs and npm for the forge API mock" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >&2
  fi
  local stamp=".ci/node/node_modules/.installed-$(sha256sum .ci/node/package-lock.json | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "[setup] installing the OpenAPI mock server into .ci/node" >&2
    npm ci --prefix .ci/node --no-audit --no-fund --silent >&2
    touch "$stamp"
  fi
}

cmd=${1:-demo}
[ $# -gt 0 ] && shift
case "$cmd" in
  demo)
    setup_python
    exec "$VENV/bin/suture" demo "$@"
    ;;
  test)
    setup_python
    setup_browser
    setup_node
    "$VENV/bin/ruff" check .
    "$VENV/bin/mypy" core agents tools guardrails prompts evals suture
    exec "$VENV/bin/python" -m pytest -q --cov --cov-report=term:skip-covered "$@"
    ;;
  suture)
    setup_python
    exec "$VENV/bin/suture" "$@"
    ;;
  *)
    echo "usage: ./go demo [--approve] | ./go test [pytest args] | ./go suture ARGS..." >&2
    exit 2
    ;;
esac
