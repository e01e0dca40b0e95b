// The sync serving budget (review M-2) against real peers: peers that ask for large answers and
// never read them, and a peer that floods requests. The node must hold a bounded amount of
// memory, answer NETWORK_BUSY at once when full, and report a flooding peer.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DEFAULT_MAX_SERVING, DEFAULT_MAX_SERVING_BYTES, NetworkErrorCode } from '../../../packages/node/src/index.ts'
import type { Network } from '../../../packages/node/src/index.ts'
import { STATUS_ERROR, STATUS_OK, encodeRequest } from '../../../packages/node/src/network/frames.ts'
import { RawPeer } from './raw-peer.ts'
import { MiB, bytes, failure, heapAfterGc, removeHomes, startNode, stopAll, text, waitFor } from './helpers.ts'

const WINDOW_BYTES = 8 * MiB
const ATTACKERS = 4
/** Streams each attacker opens: more than the server's 8 per connection, to hit that limit too. */
const STREAMS = 10
const WRITE_TIMEOUT_MS = 3000

/** Heap plus the buffers outside it (responses live in ArrayBuffers). */
function memoryAfterGc(): number {
  heapAfterGc()
  const { heapUsed, arrayBuffers } = process.memoryUsage()
  return heapUsed + arrayBuffers
}

test('peers that never read hold a bounded amount of memory; an honest request is answered BUSY, then served', async () => {
  let server: Network | undefined
  let honest: Network | undefined
  const attackers: RawPeer[] = []
  try {
    server = await startNode()
    honest = await startNode()
    let built = 0
    await server.handle(
      server.syncProtocol,
      async (request) => {
        if (text(request) === 'status') return bytes('ok')
        built++
        return new Uint8Array(WINDOW_BYTES).fill(1)
      },
      { writeTimeoutMs: WRITE_TIMEOUT_MS },
    )
    await honest.connect(server.addresses()[0]!)
    for (let i = 0; i < ATTACKERS; i++) attackers.push(await RawPeer.start())
    const before = memoryAfterGc()

    const address = server.addresses()[0]!
    const answers = (
      await Promise.all(attackers.flatMap((a) => Array.from({ length: STREAMS }, () => a.ask(address, server!.syncProtocol, encodeRequest(bytes('blocks')))))) 
    ).map((a) => a.status)
    const held = memoryAfterGc() - before
    const count = (status: number | 'reset') => answers.filter((s) => s === status).length
    const usage = server.servingUsage(server.syncProtocol)
    console.log(`  never-read: ${built} windows built, answers ok ${count(STATUS_OK)} busy ${count(STATUS_ERROR)} reset ${count('reset')}, process memory +${(held / MiB).toFixed(1)} MiB (attackers' receive buffers included), responses held ${((usage?.bytes ?? 0) / MiB).toFixed(1)} MiB`)

    // the attackers run in this process, so their receive buffers count too: the node's own
    // share is the budget (48 MiB); without it 40 windows (320 MiB) were held
    assert.ok(held < 100 * MiB, `held ${(held / MiB).toFixed(1)} MiB`)
    assert.ok(usage != null && usage.bytes <= DEFAULT_MAX_SERVING_BYTES, `responses held ${usage?.bytes}`)
    assert.ok(built <= DEFAULT_MAX_SERVING, `built ${built} windows`)
    assert.is(count(STATUS_OK), DEFAULT_MAX_SERVING_BYTES / WINDOW_BYTES)
    // a request over budget is answered at once, not left to time out
    const started = Date.now()
    assert.is(await failure(honest.request(server.peerId, server.syncProtocol, bytes('status'))), NetworkErrorCode.Busy)
    assert.ok(Date.now() - started < 1000, `busy after ${Date.now() - started} ms`)
    // the write deadline frees the slots
    const h = honest
    const s = server
    await waitFor('served again', async () => (await failure(h.request(s.peerId, s.syncProtocol, bytes('status')))) === undefined, WRITE_TIMEOUT_MS + 5000)
    await waitFor('the windows released', () => s.servingUsage(s.syncProtocol)?.bytes === 0 && s.servingUsage(s.syncProtocol)?.serving === 0)
  } finally {
    await Promise.all(attackers.map((a) => a.stop()))
    await stopAll([server, honest])
    await removeHomes()
  }
})

test('a peer that floods requests is answered BUSY and reported', async () => {
  let server: Network | undefined
  let flooder: Network | undefined
  try {
    server = await startNode()
    flooder = await startNode()
    const abuse: string[] = []
    let served = 0
    await server.handle(server.syncProtocol, async () => {
      served++
      return bytes('ok')
    }, { onAbuse: (peerId) => abuse.push(peerId) })
    await flooder.connect(server.addresses()[0]!)
    const codes = new Map<string, number>()
    const started = Date.now()
    // 4 at a time (under the 8 streams per connection), 600 in all
    const f = flooder
    const s = server
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 150; i++) {
        const code = (await failure(f.request(s.peerId, s.syncProtocol, bytes('status')))) ?? 'ok'
        codes.set(code, (codes.get(code) ?? 0) + 1)
      }
    }))
    const seconds = (Date.now() - started) / 1000
    console.log(`  flood: ${JSON.stringify(Object.fromEntries(codes))} in ${seconds.toFixed(1)} s, ${served} served, reported ${abuse.length}x`)
    assert.ok((codes.get(NetworkErrorCode.Busy) ?? 0) > 0, 'some answered busy')
    // a burst of 100, then 50 per second
    assert.ok(served <= 100 + 50 * seconds + 5, `served ${served}`)
    assert.ok(abuse.length >= 1 && abuse.every((id) => id === f.peerId), `reported ${JSON.stringify(abuse)}`)
  } finally {
    await stopAll([server, flooder])
    await removeHomes()
  }
})

test.run()
