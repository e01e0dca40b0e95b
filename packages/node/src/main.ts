// Runs one node in the foreground from its home, until SIGINT or SIGTERM:
//   node packages/node/dist/main.js --home DIR [--log-level L] [--log-format json|pretty]
// (built by `npm run build`; from the sources: node --conditions=p2pnode-source --import tsx
// packages/node/src/main.ts ...)
// The CLI's `p2pnode start` does the same with more to say; this is what tests and the devnet run.

import './polyfill.ts'
import { parseArgs } from 'node:util'
import { startNode } from './node.ts'

const { values } = parseArgs({
  options: { home: { type: 'string' }, 'log-level': { type: 'string' }, 'log-format': { type: 'string' } },
})
if (!values.home) {
  process.stderr.write('usage: main.ts --home DIR\n')
  process.exit(2)
}
const log = {
  ...(values['log-level'] ? { level: values['log-level'] } : {}),
  ...(values['log-format'] ? { format: values['log-format'] } : {}),
}
const node = await startNode({ home: values.home, config: { log: log as never } })
let stopping = false
const stop = async (signal: string) => {
  if (stopping) return
  stopping = true
  process.stderr.write(`${signal}: stopping\n`)
  await node.stop()
  process.exit(0)
}
process.on('SIGINT', () => void stop('SIGINT'))
process.on('SIGTERM', () => void stop('SIGTERM'))
