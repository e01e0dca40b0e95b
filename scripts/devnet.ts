// `npm start`: a local network of p2pnode processes on 127.0.0.1 (4 validators by default),
// each with its home in <dir>/node<i> and its log in <dir>/logs/node<i>.log. Every node but
// node0 is given only node0 to bootstrap from; the DHT does the rest. While it runs, one line a
// second per node: height, peers, transactions per second. Ctrl-C stops every node.
//
//   npm start                                   # 4 validators in ./.devnet (made anew each start)
//   npm start -- --validators 7 --followers 2 --dir /tmp/net
//   npm start -- --blocks 20                    # stop by itself after block 20 (a smoke test)

import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, mkdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { Client } from '../packages/node/src/api/client.ts'
import { generateTestnet } from '../packages/node/src/home/testnet.ts'
import { readApiToken } from '../packages/node/src/home/home.ts'

const { values } = parseArgs({
  options: {
    validators: { type: 'string', default: '4' },
    followers: { type: 'string', default: '0' },
    dir: { type: 'string', default: '.devnet' },
    'base-port': { type: 'string', default: '7400' },
    blocks: { type: 'string' },
  },
})
const dir = resolve(values.dir)
const MAIN = new URL('../packages/node/src/main.ts', import.meta.url).pathname

rmSync(dir, { recursive: true, force: true })
const { nodes } = await generateTestnet({
  out: dir,
  validators: Number(values.validators),
  followers: Number(values.followers),
  basePort: Number(values['base-port']),
  network: 'devnet',
})
mkdirSync(join(dir, 'logs'), { recursive: true })
console.log(`devnet: ${nodes.length} nodes in ${dir} (logs in ${join(dir, 'logs')})`)
for (const n of nodes) console.log(`  ${n.name}  ${n.validator ? 'validator' : 'follower '}  p2p ${n.multiaddr}  api http://127.0.0.1:${n.apiPort}  home ${n.home}`)
console.log(`look at one with: curl -H "Authorization: Bearer $(cat ${nodes[0]!.home}/api-token)" http://127.0.0.1:${nodes[0]!.apiPort}/peers\n`)

const children: ChildProcess[] = nodes.map((n) => {
  const log = createWriteStream(join(dir, 'logs', `${n.name}.log`))
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--home', n.home], { stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.pipe(log, { end: false })
  child.stderr!.pipe(log, { end: false })
  child.once('close', () => log.end())
  return child
})
const clients = await Promise.all(nodes.map(async (n) => new Client({ url: `http://127.0.0.1:${n.apiPort}`, token: await readApiToken(n.home), timeoutMs: 2_000 })))

let stopping = false
async function stop(code = 0): Promise<never> {
  if (!stopping) {
    stopping = true
    process.stdout.write('\nstopping every node...\n')
    await Promise.all(children.map((c) => new Promise<void>((done) => (c.exitCode !== null ? done() : (c.once('exit', () => done()), c.kill('SIGTERM'))))))
  }
  process.exit(code)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
for (const [i, child] of children.entries()) {
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${nodes[i]!.name} exited (${signal ?? code}); see ${join(dir, 'logs', `${nodes[i]!.name}.log`)}`)
      void stop(1)
    }
  })
}

/** Transactions per second of the chain, from the blocks each node committed since the last look. */
const seen = new Map<number, { height: number; at: number }>()
async function txRate(i: number, height: number): Promise<number> {
  const prev = seen.get(i)
  const now = Date.now()
  seen.set(i, { height, at: now })
  if (!prev || height <= prev.height) return 0
  let txs = 0
  for (let from = prev.height + 1; from <= height; from += 100) {
    for (const block of await clients[i]!.blocks(from, Math.min(height, from + 99))) txs += block.txs.length
  }
  return (txs * 1000) / (now - prev.at)
}

for (;;) {
  await new Promise((r) => setTimeout(r, 1_000))
  const lines = await Promise.all(
    clients.map(async (client, i) => {
      try {
        const status = await client.status()
        const tps = await txRate(i, status.height)
        return { text: `${nodes[i]!.name} h=${status.height} peers=${status.peers} tx/s=${tps.toFixed(0)}${status.syncing ? ' syncing' : ''}`, height: status.height }
      } catch {
        return { text: `${nodes[i]!.name} (starting)`, height: 0 }
      }
    }),
  )
  process.stdout.write(`${new Date().toISOString().slice(11, 19)}  ${lines.map((l) => l.text).join('  |  ')}\n`)
  if (values.blocks && lines.every((l) => l.height >= Number(values.blocks))) {
    console.log(`every node reached block ${values.blocks}`)
    await stop(0)
  }
}
