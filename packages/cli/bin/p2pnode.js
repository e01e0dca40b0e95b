#!/usr/bin/env node
// The p2pnode command. The sources are TypeScript, run through tsx's loader.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src/index.ts')
process.exitCode = await main(process.argv)
