#!/usr/bin/env bash
# The release operators install: a clean build of the three packages (tsc -b into each package's
# dist/), `npm pack` of packages/core, packages/node and packages/cli, and (with --install)
# `npm install -g` of the three tarballs into a prefix.
#
#   deploy/pack.sh [--out DIR] [--install PREFIX]
#
#   --out DIR         where the tarballs go (default: <repo>/.tmp/release); made if missing
#   --install PREFIX  then install them into PREFIX (PREFIX/bin/p2pnode, PREFIX/lib/node_modules)
#
# The three tarballs go to `npm install -g` in one command: npm places each as a global package
# and resolves the CLI's and the node's "@p2pnode/core": "*" to the sibling just installed, so
# nothing named @p2pnode/* is ever fetched from the registry. The tarballs hold the built JavaScript
# (dist/), not the TypeScript sources: an installed node needs neither tsx nor esbuild. The other dependencies are fetched
# from the registry at the versions pinned in each package.json (the root lockfile and the root
# "overrides" do not apply to a global install: packages/node and packages/cli pin
# @multiformats/dns themselves so that the tree keeps a single @libp2p/interface).
#
# On a host: copy DIR there and run
#   npm install -g --prefix /usr/local ./p2pnode-core-*.tgz ./p2pnode-node-*.tgz ./p2pnode-cli-*.tgz
# (the ./ matters: without it npm reads "dir/file.tgz" as a GitHub repository).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/.tmp/release"
PREFIX=""
PACKAGES=(core node cli)

while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=${2:?--out needs a directory}; shift 2 ;;
    --install) PREFIX=${2:?--install needs a prefix}; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "pack.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# From scratch: an incremental build would leave the output of a deleted source in dist/, and in
# the release. Needs the development dependencies (npm ci), for tsc.
for name in "${PACKAGES[@]}"; do rm -rf "$ROOT/packages/$name/dist" "$ROOT/packages/$name/tsconfig.tsbuildinfo"; done
(cd "$ROOT" && node_modules/.bin/tsc -b)
echo "built ${PACKAGES[*]} into packages/*/dist"

tarballs=()
for name in "${PACKAGES[@]}"; do
  # --json names the file npm wrote; parsing it avoids guessing the scoped-name mangling.
  file=$(cd "$ROOT/packages/$name" && npm pack --silent --json --pack-destination "$OUT" \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].filename))')
  tarballs+=("$OUT/$file")
  echo "packed $OUT/$file"
done

if [ -n "$PREFIX" ]; then
  mkdir -p "$PREFIX"
  PREFIX=$(cd "$PREFIX" && pwd)
  npm install -g --no-audit --no-fund --prefix "$PREFIX" "${tarballs[@]}"
  echo "installed $PREFIX/bin/p2pnode ($("$PREFIX/bin/p2pnode" --version))"
fi
