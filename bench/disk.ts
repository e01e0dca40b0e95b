// `node --import tsx bench/disk.ts`: what an idle network writes to each node's disk per block.
// Four validator processes on this machine (test/e2e/cluster.ts, the homes and main.ts an operator
// runs, fsync on, no transactions at all) make `--blocks` empty blocks after a warm-up; the growth
// of each node's data directory (LevelDB: its .log, tables, manifest) and of its keys directory
// (the signer record) and p2p directory (peer store) is divided by the blocks made. Then the nodes are stopped and node0's
// database is read table by table (logical bytes: key + value of every live entry), its frames
// split by input kind, and its directory measured again after a full compaction, which says how
// much of the growth was LevelDB's own (superseded values and tombstones not yet compacted away).
//
//   node --import tsx bench/disk.ts                       # 2,000 blocks
//   node --import tsx bench/disk.ts --blocks 500 --config '{"storage":{"keepBlocks":100}}'

import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ClassicLevel } from 'classic-level'
import { MAX_FRAME_BYTES, asList, asString, decodeFrame, decodeRlp } from '@p2pnode/core'
import { Cluster, waitFor } from '../test/e2e/cluster.ts'

const { values } = parseArgs({
  options: {
    blocks: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '20' },
    config: { type: 'string', default: '{}' },
  },
})
const blocks = Number(values.blocks)
const warmup = Number(values.warmup)

/** Apparent bytes of every file under `dir`. */
async function dirBytes(dir: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name)
    total += entry.isDirectory() ? await dirBytes(path) : (await stat(path).catch(() => ({ size: 0 }))).size
  }
  return total
}

const TABLES: Record<number, string> = {
  0x01: 'block by hash',
  0x02: 'height index',
  0x03: 'commit',
  0x04: 'state',
  0x05: 'head',
  0x06: 'server frame',
  0x07: 'frame height index',
  0x08: 'server root',
  0x09: 'tx index',
  0x0a: 'metadata',
}

function tableOf(key: Uint8Array): string {
  const name = TABLES[key[0]!] ?? `prefix 0x${key[0]!.toString(16)}`
  if (key[0] !== 0x0a) return name
  const text = Buffer.from(key.subarray(1)).toString('utf8')
  return `metadata ${text.includes('/') ? `${text.slice(0, text.indexOf('/'))}/*` : text}`
}

/** What kind of input a frame carries: the op of its first routed value. */
function inputKind(input: Uint8Array): string {
  try {
    const list = asList(decodeRlp(input, MAX_FRAME_BYTES, 'input'), 'input')
    const value = asList(list[1], 'value')
    return asString(value[0], 'op', 16)
  } catch {
    return 'other'
  }
}

const kib = (n: number) => `${(n / 1024).toFixed(2)} KiB`
const perBlock = (n: number, b: number) => `${(n / b).toFixed(0).padStart(6)} B/block`

const cluster = await Cluster.start({ validators: 4, config: { log: { level: 'warn' }, ...JSON.parse(values.config) } })
try {
  await waitFor('warm-up blocks', async () => Math.min(...(await cluster.heights())) >= warmup, 60_000 + warmup * 1_000, 500)
  const dirs = cluster.nodes.map((n) => ({ data: join(n.home, 'data'), keys: join(n.home, 'keys'), p2p: join(n.home, 'p2p') }))
  const measure = () => Promise.all(dirs.map(async (d) => ({ data: await dirBytes(d.data), keys: await dirBytes(d.keys), p2p: await dirBytes(d.p2p) })))
  const before = await measure()
  const h0 = await cluster.heights()
  const t0 = Date.now()
  await waitFor(`${blocks} blocks`, async () => Math.min(...(await cluster.heights())) >= h0[0]! + blocks, blocks * 1_000, 500)
  const h1 = await cluster.heights()
  const seconds = (Date.now() - t0) / 1000
  const after = await measure()
  console.log(`${blocks} empty blocks made in ${seconds.toFixed(0)} s (${((h1[0]! - h0[0]!) / seconds).toFixed(1)} blocks/s), 4 validators, fsync on`)
  console.log('growth while running (data = LevelDB incl. its .log; keys = signer record; p2p = peer store):')
  cluster.nodes.forEach((n, i) => {
    const made = h1[i]! - h0[i]!
    const data = after[i]!.data - before[i]!.data
    const keys = after[i]!.keys - before[i]!.keys
    const p2p = after[i]!.p2p - before[i]!.p2p
    console.log(`  ${n.name}: ${made} blocks, data +${kib(data)} = ${perBlock(data, made)}, keys +${keys} B, p2p +${p2p} B`)
  })

  await Promise.all(cluster.nodes.map((_, i) => cluster.kill(i, 'SIGTERM')))
  const height = h1[0]!
  const dbPath = dirs[0]!.data
  const stopped = await dirBytes(dbPath)
  const db = new ClassicLevel<Uint8Array, Uint8Array>(dbPath, { keyEncoding: 'view', valueEncoding: 'view' })
  await db.open()
  const tables = new Map<string, { entries: number; bytes: number }>()
  const frameInputs = new Map<string, { count: number; bytes: number }>()
  let frameOverhead = 0
  for await (const [key, value] of db.iterator()) {
    const name = tableOf(key)
    const t = tables.get(name) ?? { entries: 0, bytes: 0 }
    t.entries++
    t.bytes += key.length + value.length
    tables.set(name, t)
    if (key[0] === 0x06) {
      const frame = decodeFrame(value, MAX_FRAME_BYTES)
      let inputs = 0
      for (const input of frame.inputs) {
        const kind = inputKind(input)
        const f = frameInputs.get(kind) ?? { count: 0, bytes: 0 }
        f.count++
        f.bytes += input.length
        inputs += input.length
        frameInputs.set(kind, f)
      }
      frameOverhead += value.length - inputs
    }
  }
  let logical = 0
  console.log(`node0 at height ${height}, live entries by table (key + value bytes, per block of the chain):`)
  for (const [name, t] of [...tables.entries()].sort((a, b) => b[1].bytes - a[1].bytes)) {
    logical += t.bytes
    console.log(`  ${name.padEnd(24)} ${String(t.entries).padStart(8)} entries ${kib(t.bytes).padStart(14)} ${perBlock(t.bytes, height)}`)
  }
  console.log(`  ${'all'.padEnd(24)} ${''.padStart(16)} ${kib(logical).padStart(14)} ${perBlock(logical, height)}`)
  if (frameInputs.size > 0) {
    console.log('  frames by input kind:')
    for (const [kind, f] of frameInputs) console.log(`    ${kind.padEnd(22)} ${String(f.count).padStart(8)} inputs ${kib(f.bytes).padStart(14)} ${perBlock(f.bytes, height)}`)
    console.log(`    ${'frame header'.padEnd(22)} ${''.padStart(15)} ${kib(frameOverhead).padStart(14)} ${perBlock(frameOverhead, height)}`)
  }
  await db.compactRange(new Uint8Array([0x00]), new Uint8Array([0xff]))
  await db.close()
  const compacted = await dirBytes(dbPath)
  console.log(`node0 data dir: ${kib(stopped)} stopped (${perBlock(stopped, height)}), ${kib(compacted)} after a full compaction (${perBlock(compacted, height)})`)

  // the libp2p peer store (<home>/p2p/peers, datastore-level): what it holds, and how much of
  // its size is its own log and uncompacted garbage
  const peersPath = join(dirs[0]!.p2p, 'peers')
  const peersStopped = await dirBytes(peersPath)
  const peers = new ClassicLevel<string, Uint8Array>(peersPath, { keyEncoding: 'utf8', valueEncoding: 'view' })
  await peers.open()
  const kinds = new Map<string, { entries: number; bytes: number }>()
  for await (const [key, value] of peers.iterator()) {
    const kind = key.split('/').slice(0, 2).join('/')
    const k = kinds.get(kind) ?? { entries: 0, bytes: 0 }
    k.entries++
    k.bytes += key.length + value.length
    kinds.set(kind, k)
  }
  await peers.compactRange('', '\uffff')
  await peers.close()
  const peersCompacted = await dirBytes(peersPath)
  console.log(`node0 peer store: ${kib(peersStopped)} stopped, ${kib(peersCompacted)} after a full compaction; live: ${[...kinds].map(([k, v]) => `${k} ${v.entries} entries ${kib(v.bytes)}`).join(', ')}`)
} finally {
  await cluster.stop()
}
