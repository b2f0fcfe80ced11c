#!/usr/bin/env bash
# Builds mailsim for the browser into dist/: index.html, mailsim.js and mailsim_bg.wasm, static
# files any web server can serve (python3 -m http.server -d dist). Installs what it needs:
# the wasm32 target, and wasm-bindgen-cli at exactly the version of the wasm-bindgen crate in
# Cargo.lock; with MAILSIM_WASM_OPT=1, wasm-opt too (npm's binaryen, into the target folder).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"

rustup target add wasm32-unknown-unknown
want="$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)"
have="$(wasm-bindgen --version 2> /dev/null | awk '{ print $2 }' || true)"
if [ "$have" != "$want" ]; then
    echo "web.sh: installing wasm-bindgen-cli $want (the crate's version in Cargo.lock)"
    cargo install --locked wasm-bindgen-cli --version "$want" || {
        echo "web.sh: the locked dependencies of wasm-bindgen-cli are not all on this registry;"
        echo "web.sh: installing $want with the newest compatible ones"
        cargo install wasm-bindgen-cli --version "$want"
    }
fi

cargo build --profile web --target wasm32-unknown-unknown --bin mailsim-web
rm -rf dist
mkdir -p dist
# The names section (function names, for debugging) is most of the size and not needed to run.
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir dist --out-name mailsim \
    "$target/wasm32-unknown-unknown/web/mailsim-web.wasm"

# wasm-opt -Oz (npm's binaryen) takes a further 5% or so off, and about ten minutes on two
# cores: only when asked for, MAILSIM_WASM_OPT=1.
opt=""
if [ -n "${MAILSIM_WASM_OPT:-}" ]; then
    if command -v wasm-opt > /dev/null; then
        opt="wasm-opt"
    else
        npm install --prefix "$target/binaryen" binaryen@132 > /dev/null
        opt="$target/binaryen/node_modules/.bin/wasm-opt"
    fi
fi
if [ -n "$opt" ]; then
    "$opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
        --enable-mutable-globals dist/mailsim_bg.wasm -o dist/mailsim_bg.opt.wasm
    mv dist/mailsim_bg.opt.wasm dist/mailsim_bg.wasm
fi
cp web/index.html dist/
cp assets/icons/computer.png dist/favicon.png
raw=$(stat -c %s dist/mailsim_bg.wasm)
gz=$(gzip -9 -c dist/mailsim_bg.wasm | wc -c)
echo "web.sh: dist/ is the site; mailsim_bg.wasm is $((raw / 1024)) KiB, $((gz / 1024)) KiB gzipped${opt:+ (after wasm-opt)}"
echo "web.sh: try it with: python3 -m http.server -d dist 8000, then open http://127.0.0.1:8000/"
