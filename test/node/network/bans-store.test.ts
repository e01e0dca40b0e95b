// Bans outliving a restart: BanFile (<dataDir>/bans.json) under a BanList, and Network.ban with
// real files in temp dirs and real libp2p on 127.0.0.1.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { BANS_FILE, BanFile, CORRUPT_SUFFIX, SAVE_INTERVAL_MS, decodeBans } from '../../../packages/node/src/network/ban-file.ts'
import { type Ban, BanList, MAX_BANS } from '../../../packages/node/src/network/bans.ts'
import { LOCAL_TESTNET, Network, networkConfig } from '../../../packages/node/src/index.ts'
import type { Logger } from '../../../packages/node/src/index.ts'
import { connectedTo, failure, removeHomes, startNode, stopAll, tempHome, waitFor } from './helpers.ts'

interface Entry {
  level: string
  message: string | undefined
  fields: Record<string, unknown>
}

/** A Logger that keeps what it is told (children share the list and add their bindings). */
function recordingLogger(entries: Entry[] = [], bindings: Record<string, unknown> = {}): Logger & { entries: Entry[] } {
  const at = (level: string) => (first: Record<string, unknown> | string, message?: string) => {
    if (typeof first === 'string') entries.push({ level, message: first, fields: { ...bindings } })
    else entries.push({ level, message, fields: { ...bindings, ...first } })
  }
  return {
    entries,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => recordingLogger(entries, { ...bindings, ...more }),
  }
}

async function newPeerId(): Promise<string> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
}

async function readBans(path: string): Promise<Ban[]> {
  return decodeBans(await readFile(path, 'utf8'))
}

const byPeer = (bans: Ban[]): Ban[] => [...bans].sort((a, b) => a.peerId.localeCompare(b.peerId))

/** A network on 127.0.0.1 created (not started) from a home, with a recording logger. */
async function createNode(dataDir: string, log: Logger): Promise<Network> {
  return Network.create(networkConfig({ network: 'test', ...LOCAL_TESTNET, minConnections: 0, dataDir }), { logger: log })
}

test('bans saved by one ban list are there for the next, with their reasons and ends', async () => {
  try {
    const path = join(await tempHome('bans'), BANS_FILE)
    let now = 1_000_000
    const first = new BanList(() => now, new BanFile(path, recordingLogger()))
    assert.is(await first.load(), 0, 'a missing file is no bans')
    first.ban('peer-a', 60_000, 'spam')
    first.ban('peer-b', 120_000, 'operator')
    first.ban('peer-c', 120_000, 'lifted later')
    assert.ok(first.unban('peer-c'))
    await first.flush()
    assert.equal(byPeer(await readBans(path)), [
      { peerId: 'peer-a', until: 1_060_000, reason: 'spam' },
      { peerId: 'peer-b', until: 1_120_000, reason: 'operator' },
    ])

    now += 1_000
    const second = new BanList(() => now, new BanFile(path, recordingLogger()))
    assert.is(await second.load(), 2)
    assert.equal(byPeer(second.list()), byPeer(first.list()))
    assert.is(second.isBanned('peer-c'), false, 'an unban is saved too')
  } finally {
    await removeHomes()
  }
})

test('expired bans are not reloaded, and an expiry noticed by list() is saved', async () => {
  try {
    const path = join(await tempHome('bans'), BANS_FILE)
    let now = 0
    const first = new BanList(() => now, new BanFile(path, recordingLogger()))
    first.ban('short', 1_000, 'short')
    first.ban('middle', 5_000, 'middle')
    first.ban('long', 60_000, 'long')
    await first.flush()

    now = 1_000
    assert.equal(first.list().map((b) => b.peerId).sort(), ['long', 'middle'])
    await first.flush()
    assert.equal((await readBans(path)).map((b) => b.peerId).sort(), ['long', 'middle'], 'list() saved the expiry')

    now = 5_000
    const second = new BanList(() => now, new BanFile(path, recordingLogger()))
    assert.is(await second.load(), 1)
    assert.equal(second.list().map((b) => b.peerId), ['long'])
    await second.flush()
    assert.equal((await readBans(path)).map((b) => b.peerId), ['long'], 'the expired entry left the file at load')
  } finally {
    await removeHomes()
  }
})

test('a corrupt or unreadable ban file means no bans, a warning naming it, and the file kept aside', async () => {
  try {
    const cases: Array<[string, (path: string) => Promise<void>]> = [
      ['not JSON', (path) => writeFile(path, '[{"peerId": "x", "until": 1')],
      ['not a list', (path) => writeFile(path, '{"peerId": "x"}')],
      ['a bad entry', (path) => writeFile(path, JSON.stringify([{ peerId: 'x', until: 'soon', reason: '' }]))],
      ['a directory', (path) => mkdir(path)],
    ]
    for (const [what, make] of cases) {
      const path = join(await tempHome('bans'), BANS_FILE)
      await make(path)
      const log = recordingLogger()
      const bans = new BanList(Date.now, new BanFile(path, log))
      assert.is(await bans.load(), 0, `${what}: no bans`)
      const warning = log.entries.find((e) => e.level === 'warn')
      assert.is(warning?.fields.file, path, `${what}: the warning names the file`)
      assert.is(await failure(readFile(path)), 'ENOENT', `${what}: moved away`)
      assert.ok((await readdir(join(path, '..'))).includes(BANS_FILE + CORRUPT_SUFFIX), `${what}: kept aside`)

      bans.ban('peer-a', 60_000, 'after')
      await bans.flush()
      assert.equal((await readBans(path)).map((b) => b.peerId), ['peer-a'], `${what}: new bans are saved afresh`)
    }
  } finally {
    await removeHomes()
  }
})

test('a node whose ban file is corrupt starts with no bans and keeps the file aside', async () => {
  let node: Network | undefined
  try {
    const home = await tempHome('bans')
    const path = join(home, BANS_FILE)
    const garbage = 'this is not JSON {'
    await writeFile(path, garbage)
    const log = recordingLogger()
    node = await createNode(home, log)
    await node.start()
    assert.equal(node.banned(), [])
    assert.ok(log.entries.some((e) => e.level === 'warn' && e.fields.file === path), 'a warning names the file')
    assert.is(await readFile(path + CORRUPT_SUFFIX, 'utf8'), garbage, 'the bad file is kept as it was')
    await node.ban(await newPeerId(), 'still works')
    assert.is((await readBans(path)).length, 1)
  } finally {
    await stopAll([node])
    await removeHomes()
  }
})

test('a burst of 200 bans: the file parses whenever it is read, ends whole, no temp file left', async () => {
  let node: Network | undefined
  try {
    const home = await tempHome('bans')
    const path = join(home, BANS_FILE)
    const ids = await Promise.all(Array.from({ length: 200 }, () => newPeerId()))
    node = await startNode({ dataDir: home })
    const n = node
    let done = false
    let reads = 0
    const reader = (async () => {
      const problems: string[] = []
      while (!done) {
        try {
          decodeBans(await readFile(path, 'utf8'))
          reads++
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(String(err))
        }
      }
      return problems
    })()
    const bans: Array<Promise<Ban>> = []
    for (const [i, id] of ids.entries()) {
      bans.push(n.ban(id, `burst ${i}`))
      // let writes start between bans, so new bans land while a write is under way
      if (i % 10 === 9) await new Promise((resolve) => setImmediate(resolve))
    }
    await Promise.all(bans)
    done = true
    assert.equal(await reader, [], 'every read parsed')
    assert.ok(reads > 0, 'the reader saw the file')

    const saved = await readBans(path)
    assert.is(saved.length, 200)
    assert.equal(byPeer(saved), byPeer(node.banned()))
    assert.equal(await readdir(home).then((names) => names.filter((name) => name.startsWith(BANS_FILE))), [BANS_FILE])
  } finally {
    await stopAll([node])
    await removeHomes()
  }
})

test('saves are coalesced: a storm of bans is about one write a second, and flush writes at once', async () => {
  try {
    const path = join(await tempHome('bans'), BANS_FILE)
    const file = new BanFile(path, recordingLogger())
    const bans = new BanList(Date.now, file)
    const started = Date.now()
    let i = 0
    while (Date.now() - started < 1.5 * SAVE_INTERVAL_MS) {
      bans.ban(`peer-${i++}`, 60_000, 'storm')
      if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    const elapsed = Date.now() - started
    // one write at the first ban, one a second after; flush() adds the last
    assert.ok(file.writes <= Math.ceil(elapsed / SAVE_INTERVAL_MS) + 1, `${file.writes} writes for ${i} bans in ${elapsed} ms`)
    const flushStarted = Date.now()
    await bans.flush()
    assert.ok(Date.now() - flushStarted < SAVE_INTERVAL_MS, 'flush did not wait for the interval')
    assert.is((await readBans(path)).length, Math.min(i, MAX_BANS), 'every ban held is on disk after flush')
    console.log(`  ${i} bans, ${file.writes} writes`)
  } finally {
    await removeHomes()
  }
})

test('the node\'s own bans are saved on the schedule, and stop() saves what is pending', async () => {
  let node: Network | undefined
  try {
    const home = await tempHome('bans')
    node = await startNode({ dataDir: home })
    const ids = await Promise.all(Array.from({ length: 20 }, () => newPeerId()))
    // penalties past the ban threshold: automatic bans, not awaited by anyone
    for (const id of ids) node.penalize(id, 'test storm', 1_000)
    assert.is(node.banned().length, 20)
    await node.stop()
    node = undefined
    assert.equal((await readBans(join(home, BANS_FILE))).map((b) => b.peerId).sort(), [...ids].sort())
  } finally {
    await stopAll([node])
    await removeHomes()
  }
})

test('a ban that cannot be saved is logged, not thrown, and still holds', async () => {
  let node: Network | undefined
  try {
    const home = await tempHome('bans')
    // a directory where the temp file goes: every write fails, whoever runs the test
    await mkdir(join(home, `${BANS_FILE}.tmp`))
    const log = recordingLogger()
    node = await createNode(home, log)
    await node.start()
    const peer = await newPeerId()
    const ban = await node.ban(peer, 'unsaved')
    assert.equal(node.banned(), [ban])
    const error = log.entries.find((e) => e.level === 'error')
    assert.is(error?.fields.file, join(home, BANS_FILE), 'the error names the file')
    assert.is(await failure(readFile(join(home, BANS_FILE))), 'ENOENT')
  } finally {
    await stopAll([node])
    await removeHomes()
  }
})

test('Network.ban: the node\'s own re-ban keeps a running ban, an operator\'s duration replaces it', async () => {
  let node: Network | undefined
  try {
    node = await startNode()
    const peer = await newPeerId()
    const announced: Ban[] = []
    node.on('peer:banned', (ban) => announced.push(ban))

    const automatic = await node.ban(peer, 'offence 1')
    const minutes = node.config.banMinutes * 60_000
    assert.ok(Math.abs(automatic.until - Date.now() - minutes) < 5_000, 'banMinutes by default')
    assert.equal(await node.ban(peer, 'offence 2'), automatic, 'a second offence leaves the ban as it is')

    const shorter = await node.ban(peer, 'operator: shorter', 60_000)
    assert.is(shorter.reason, 'operator: shorter')
    assert.ok(shorter.until < automatic.until, 'an operator may shorten')
    const longer = await node.ban(peer, 'operator: longer', 24 * 60 * 60_000)
    assert.ok(longer.until > automatic.until, 'or lengthen')
    assert.equal(await node.ban(peer, 'offence 3'), longer, 'the node\'s own re-ban never shortens it')
    assert.equal(node.banned(), [longer])
    assert.equal(announced, [automatic, shorter, longer], 'peer:banned for every new or replaced ban')

    assert.is(await failure(node.ban('not-a-peer-id', 'x')), 'InvalidParametersError')
    assert.is(await failure(node.ban(peer, 'x', 0)), 'RangeError')
    assert.is(await failure(node.ban(peer, 'x', Number.POSITIVE_INFINITY)), 'RangeError')
    assert.equal(node.banned(), [longer], 'a refused call bans nothing')
    assert.ok(node.unban(peer))
    assert.is(node.unban(peer), false)
  } finally {
    await stopAll([node])
    await removeHomes()
  }
})

test('a restarted node still refuses the peer it banned, with no new offence', async () => {
  let a: Network | undefined
  let b: Network | undefined
  try {
    const home = await tempHome('bans')
    a = await startNode({ dataDir: home })
    b = await startNode()
    const first = a
    const peerB = b
    await b.connect(a.addresses()[0]!)
    await waitFor('A and B connected', () => connectedTo(first, peerB) && connectedTo(peerB, first))
    const ban = await a.ban(b.peerId, 'operator: hostile', 60 * 60_000)
    await waitFor('B disconnected', () => !connectedTo(first, peerB) && !connectedTo(peerB, first))
    await a.stop()

    a = await startNode({ dataDir: home })
    const restarted = a
    assert.equal(restarted.banned(), [ban], 'the ban came back from bans.json')
    const seen: string[] = []
    const announced: Ban[] = []
    restarted.on('peer:connect', (id) => seen.push(id))
    restarted.on('peer:banned', (b) => announced.push(b))

    // Noise negotiates the muxer inside its handshake, so B may briefly think it is connected;
    // A's gater drops the connection before B is ever A's peer.
    await failure(b.connect(restarted.addresses()[0]!))
    await waitFor('B\'s dial dropped', () => !connectedTo(peerB, restarted))
    assert.is(connectedTo(restarted, peerB), false, 'B is no peer of A')
    assert.is(seen.includes(peerB.peerId), false, 'A never saw B connect')
    assert.equal(announced, [], 'refused by the saved ban, not a new one')
    assert.equal(restarted.banned(), [ban])

    // the control: with the ban lifted, the same dial gets in
    assert.ok(restarted.unban(peerB.peerId))
    await b.connect(restarted.addresses()[0]!)
    await waitFor('B connected once unbanned', () => connectedTo(restarted, peerB))
  } finally {
    await stopAll([a, b])
    await removeHomes()
  }
})

test.run()
