#!/usr/bin/env bash
# Idempotent set-up shared by `make up` and `make test`.
#   scripts/bootstrap.sh run    -> what the product needs to run
#   scripts/bootstrap.sh test   -> that, plus what the test suite needs (chromium, dev tools)
# Installs missing Debian packages when run as root, creates .venv with Python 3.11,
# installs the pinned Python dependencies when they changed, compiles translations.
set -euo pipefail
mode="${1:-run}"
cd "$(dirname "$0")/.."

run_pkgs=(gettext fonts-liberation2 fonts-noto-core fonts-dejavu-core softhsm2 tesseract-ocr tesseract-ocr-vie ghostscript qpdf unpaper pngquant)
test_pkgs=(chromium poppler-utils)

want=("${run_pkgs[@]}")
[ "$mode" = test ] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

PY="${VANBAN_PYTHON:-}"
if [ -z "$PY" ]; then
  for c in python3.11 python3; do
    if command -v "$c" >/dev/null && "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PY="$(command -v "$c")"; break
    fi
  done
fi
if [ -z "$PY" ]; then
  echo "vanban needs Python 3.11 (python3.11 or python3 on PATH, or VANBAN_PYTHON)." >&2
  exit 1
fi
# Debian's own python3 needs python3-venv for `python3 -m venv`.
if [ ! -x .venv/bin/python ] && ! "$PY" -c 'import ensurepip' 2>/dev/null; then
  missing+=(python3.11-venv)
fi

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> Installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "!! Missing Debian packages (run as root to install them): ${missing[*]}" >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> Creating .venv with $PY"
  "$PY" -m venv .venv
fi

extras=""
[ "$mode" = test ] && extras="[dev]"
stamp=".venv/.vanban-deps-$mode"
sum="$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-64)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
  echo "==> Installing Python dependencies$extras"
  # (pip warns about this machine's optional local indexes; those lines are noise)
  .venv/bin/python -m pip install -q --upgrade pip 2> >(grep -v "is ignored: it is neither" >&2)
  .venv/bin/python -m pip install -q -c requirements.lock -e ".$extras" 2> >(grep -v "is ignored: it is neither" >&2)
  echo "$sum" > "$stamp"
fi

# Translations: compile .po -> .mo (msgfmt from gettext).
(cd src/vanban && ../../.venv/bin/vanban compilemessages -v 0)
