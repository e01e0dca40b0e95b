#!/usr/bin/env node
// The p2pnode command (its first line gives node the flags of packages/node/src/runtime-flags.ts,
// which test/cli/startup.test.ts holds it to): the JavaScript that tsc built into dist/ (`npm ci` and deploy/pack.sh build
// it). The package imports itself by name so that its "exports" decide which file that is: dist
// by default, the TypeScript sources under `--conditions=p2pnode-source` (with tsx, in development).
const { main } = await import('@p2pnode/cli')
process.exitCode = await main(process.argv)
