// One seeded scenario: a random network (4, 7 or 10 validators, unequal shares, byzantine
// validators under a third of the shares, lossy links and partitions until GST, crashes and
// restarts), run on simulated time until every honest node has committed a few heights past GST,
// with the invariants checked throughout. The same seed always gives the same run.

import { type Bytes, utf8 } from '../../../packages/core/src/bytes.ts'
import { blsKeyFromSeed } from '../../../packages/core/src/crypto/bls.ts'
import {
  type ConsensusCrypto,
  createBlsConsensusCrypto,
  TEST_TIMEOUTS,
} from '../../../packages/core/src/consensus/index.ts'
import { sha256 } from '../../../packages/core/src/hash.ts'
import type { Threshold, Validator } from '../../../packages/core/src/types/chain.ts'
import { type Genesis, type SetChange, validChange } from './app.ts'
import { type EngineName, ENGINES } from './broken.ts'
import { byzantineTamper } from './byzantine.ts'
import { createFakeCrypto, fakePublicKey } from './fake-crypto.ts'
import { Invariants } from './invariants.ts'
import { EventQueue, Network, type NetworkConfig } from './network.ts'
import { type Byzantine, type SimContext, SimNode } from './node.ts'
import { Prng } from './prng.ts'

export const NETWORK = 'simnet'
export const ENTITY = sha256(utf8('sim-entity'))
/** Heights every honest node must commit after GST. */
export const HEIGHTS_AFTER_GST = 3
/** Simulated time allowed after GST for those heights. */
export const LIVENESS_WINDOW_MS = 6_000
const GOSSIP_MS = 100

export interface ScenarioOptions {
  /** Defaults to the real engine; tests swap in a broken one to show the harness catches it. */
  engine?: EngineName
  /** 'fake' (fast, default) or 'bls' (real signatures, slow). */
  crypto?: 'fake' | 'bls'
}

export interface ScenarioResult {
  seed: number
  description: string
  safety: string[]
  liveness: string[]
  heights: number
  messages: number
  evidence: number
  maxRoundAfterGst: number
}

interface Plan {
  n: number
  shares: number[]
  byzantine: Map<number, Byzantine>
  threshold: Threshold
  net: NetworkConfig
  crashes: { node: number; at: number; restartAt: number }[]
  changeRate: number
  thresholdChanges: boolean
}

function plan(rng: Prng): Plan {
  const n = rng.pick([4, 4, 4, 7, 7, 10])
  const equal = rng.chance(0.3)
  const shares = Array.from({ length: n }, () => (equal ? 1 : rng.int(1, 6)))
  const total = shares.reduce((a, b) => a + b, 0)
  const byzantine = new Map<number, Byzantine>()
  if (rng.chance(0.7)) {
    let byz = 0
    for (const i of rng.subset(Array.from({ length: n }, (_, i) => i), 0.7)) {
      if (3 * (byz + shares[i]!) >= total) continue
      byz += shares[i]!
      byzantine.set(i, {
        equivocate: rng.chance(0.6),
        doubleVote: rng.chance(0.75),
        unknownVotes: rng.chance(0.5),
        garbage: rng.chance(0.5),
        invalidBlocks: rng.chance(0.4),
      })
    }
  }
  const gst = rng.int(200, 1500)
  const partitions = Array.from({ length: rng.int(0, 2) }, () => {
    const start = rng.int(0, gst - 50)
    return { start, end: rng.int(start + 20, gst), group: Array.from({ length: n }, () => rng.int(0, 1)) }
  })
  const honest = Array.from({ length: n }, (_, i) => i).filter((i) => !byzantine.has(i))
  const crashes = rng.subset(honest, 0.25).map((node) => {
    const at = rng.int(0, gst - 20)
    return { node, at, restartAt: rng.int(at + 1, gst) }
  })
  return {
    n,
    shares,
    byzantine,
    threshold: { numerator: 2, denominator: 3 },
    net: {
      gst,
      delayBefore: [1, rng.int(5, 80)],
      delayAfter: [1, rng.int(2, 10)],
      drop: rng.pick([0, 0.05, 0.2, 0.4]),
      duplicate: rng.pick([0, 0.1, 0.3]),
      partitions,
      catchUpDelayMax: rng.pick([0, 200, 1000]),
    },
    crashes,
    changeRate: rng.pick([0, 0, 0.3]),
    thresholdChanges: byzantine.size === 0 && rng.chance(0.5),
  }
}

function describe(p: Plan): string {
  const byz = [...p.byzantine.entries()].map(
    ([i, b]) => `${i}:${Object.entries(b).filter(([, on]) => on).map(([k]) => k).join('+') || 'passive'}`,
  )
  return (
    `${p.n} validators shares [${p.shares.join(',')}], byzantine [${byz.join(' ')}], GST ${p.net.gst}ms, ` +
    `drop ${p.net.drop}, dup ${p.net.duplicate}, delay ${p.net.delayBefore.join('-')}ms, ` +
    `${p.net.partitions.length} partitions, crashes [${p.crashes.map((c) => `${c.node}@${c.at}-${c.restartAt}`).join(' ')}], ` +
    `set changes ${p.changeRate}${p.thresholdChanges ? ' +threshold' : ''}`
  )
}

function keysFor(p: Plan, mode: 'fake' | 'bls'): { publicKeys: Bytes[]; cryptos: ConsensusCrypto[]; verifier: ConsensusCrypto } {
  if (mode === 'fake') {
    const publicKeys = Array.from({ length: p.n }, (_, i) => fakePublicKey(NETWORK, i))
    return {
      publicKeys,
      cryptos: publicKeys.map((pk) => createFakeCrypto(NETWORK, ENTITY, pk)),
      verifier: createFakeCrypto(NETWORK, ENTITY, null),
    }
  }
  const pairs = Array.from({ length: p.n }, (_, i) => blsKeyFromSeed(sha256(utf8(`sim validator ${i}`))))
  return {
    publicKeys: pairs.map((k) => k.publicKey),
    cryptos: pairs.map((k) => createBlsConsensusCrypto({ network: NETWORK, entity: ENTITY, secretKey: k.secretKey })),
    verifier: createBlsConsensusCrypto({ network: NETWORK, entity: ENTITY }),
  }
}

export function runScenario(seed: number, options: ScenarioOptions = {}): ScenarioResult {
  const rng = new Prng(seed)
  const p = plan(rng)
  const keys = keysFor(p, options.crypto ?? 'fake')
  const validators: Validator[] = keys.publicKeys.map((publicKey, i) => ({
    publicKey,
    account: new Uint8Array(20).fill(i),
    shares: p.shares[i]!,
  }))
  const genesis: Genesis = { validators, threshold: p.threshold, byzantine: new Set(p.byzantine.keys()) }
  const queue = new EventQueue()
  const checker = new Invariants(genesis, keys.verifier)
  const nodes: SimNode[] = []
  const network = new Network(queue, rng, p.net, (from, to, bytes) => nodes[to]!.receive(from, bytes))
  const proposeChange = (): SetChange | null => {
    if (!rng.chance(p.changeRate)) return null
    const threshold = p.thresholdChanges && rng.chance(0.5) ? rng.pick([{ numerator: 2, denominator: 3 }, { numerator: 3, denominator: 4 }]) : { numerator: 0, denominator: 0 }
    const change = { shares: p.shares.map(() => rng.int(1, 8)), threshold }
    return validChange(change, genesis) ? change : null
  }
  const ctx: SimContext = {
    queue,
    rng,
    network,
    genesis,
    nodes,
    checker,
    networkName: NETWORK,
    entity: ENTITY,
    gossipMs: GOSSIP_MS,
    timeouts: TEST_TIMEOUTS,
    makeEngine: ENGINES[options.engine ?? 'correct'],
    proposeChange,
  }
  for (let i = 0; i < p.n; i++) {
    const byz = p.byzantine.get(i) ?? null
    nodes.push(new SimNode(ctx, i, keys.publicKeys[i]!, keys.cryptos[i]!, byz, byz ? byzantineTamper(byz) : null))
  }
  for (const node of nodes) node.boot()
  for (const c of p.crashes) {
    queue.at(c.at, () => nodes[c.node]!.crash())
    queue.at(c.restartAt, () => {
      nodes[c.node]!.restarts++
      nodes[c.node]!.boot()
    })
  }
  const honest = nodes.filter((n) => n.honest)
  queue.at(p.net.gst, () => {}) // make sure the loop reaches GST
  while (queue.now < p.net.gst && queue.runNext(p.net.gst)) {
    if (checker.safety.length > 0) break
  }
  const target = Math.max(...honest.map((n) => n.height)) + HEIGHTS_AFTER_GST
  const deadline = p.net.gst + LIVENESS_WINDOW_MS
  while (checker.safety.length === 0 && honest.some((n) => n.height < target) && queue.runNext(deadline));
  if (checker.safety.length === 0) {
    for (const node of honest) {
      if (node.height < target) checker.liveness.push(`node ${node.id} at height ${node.height}, wanted ${target} by ${deadline}ms`)
    }
    checker.checkRounds(p.net.gst, p.n + 2)
  }
  return {
    seed,
    description: describe(p),
    safety: checker.safety,
    liveness: checker.liveness,
    heights: Math.min(...honest.map((n) => n.height)),
    messages: network.sent,
    evidence: checker.evidence,
    maxRoundAfterGst: checker.maxRoundAfterGst,
  }
}
