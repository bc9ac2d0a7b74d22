#!/usr/bin/env bash
# Takes the README's screenshots with headless Chromium (Debian's `chromium` package):
# starts a server on a fresh data directory, captures the dossier page, a document page
# and a search into docs/, and stops the server; then retakes docs/screenshots/ (every
# page type at 390 and 1366 px) through the browser test that checks them
# (tests/browser_pages.rs, which needs `npm ci --prefix tests/browser`).
# Usage: scripts/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "Installing Debian's chromium (needs root and the package registry)…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core
fi

cargo build --release --quiet
data=$(mktemp -d)
profile=$(mktemp -d)
port=18765
./target/release/dossier --data-dir "$data" serve --addr "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$data" "$profile"' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.1; done

shot() { # URL FILE WIDTH,HEIGHT
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --window-size="$3" --screenshot="$2" "$1" 2>/dev/null
  echo "wrote $2"
}
mkdir -p docs
shot "http://127.0.0.1:$port/dossiers/nato-russia" docs/dossier-page.png 1280,2400
shot "http://127.0.0.1:$port/documents/founding-act-1997" docs/document-page.png 1280,1800
shot "http://127.0.0.1:$port/search?q=PJC" docs/search-page.png 1280,1400

# Every page type at a phone's width and a laptop's, checked as it is taken.
DOSSIER_SCREENSHOTS="$PWD/docs/screenshots" DOSSIER_REQUIRE_BROWSER=1 \
  cargo test --release --quiet --test browser_pages
echo "wrote docs/screenshots/"
