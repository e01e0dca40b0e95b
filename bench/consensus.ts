// Heights per second of the pure consensus engine on a zero-delay simulated network (4 and 10
// validators, fake signatures so only the engine is measured), printed beside this machine's BLS
// verifies per second measured in the same run. The ratio says how far the engine's own cost is
// from the signature checks a real node must do anyway (2 * (n - 1) vote verifies per height).

import { utf8 } from '../packages/core/src/bytes.ts'
import { voteSigningMessage } from '../packages/core/src/codec/objects.ts'
import { blsKeyFromSeed, signBls, verifyBls } from '../packages/core/src/crypto/bls.ts'
import { SignatureKind } from '../packages/core/src/crypto/domain.ts'
import {
  type ConsensusEffect,
  type ConsensusEvent,
  type ConsensusState,
  createEngine,
  initialState,
  TEST_TIMEOUTS,
} from '../packages/core/src/consensus/index.ts'
import { sha256 } from '../packages/core/src/hash.ts'
import type { Validator } from '../packages/core/src/types/chain.ts'
import { createFakeCrypto, fakePublicKey } from '../test/consensus/sim/fake-crypto.ts'

const NETWORK = 'bench'
const ENTITY = sha256(utf8('bench entity'))
const HEIGHTS = 2_000
const BLS_VERIFIES = 1_000

function benchEngine(n: number, heights: number): number {
  const keys = Array.from({ length: n }, (_, i) => fakePublicKey(NETWORK, i))
  const validators: Validator[] = keys.map((publicKey) => ({ publicKey, account: new Uint8Array(20), shares: 1 }))
  const threshold = { numerator: 2, denominator: 3 }
  const nodes = keys.map((publicKey) => ({
    engine: createEngine({ network: NETWORK, entity: ENTITY, publicKey, crypto: createFakeCrypto(NETWORK, ENTITY, publicKey), timeouts: TEST_TIMEOUTS }),
    state: initialState() as ConsensusState,
    height: 0,
  }))
  // Zero delay: a FIFO of (node, event); timeouts never fire because everything arrives first.
  const queue: [number, ConsensusEvent][] = []
  const apply = (i: number, effects: ConsensusEffect[]): void => {
    for (const e of effects) {
      if (e.type === 'BuildProposal') {
        const bytes = utf8(`block ${e.height}/${e.round}`)
        queue.push([i, { type: 'ProposalValue', height: e.height, round: e.round, block: { hash: sha256(bytes), bytes } }])
      } else if (e.type === 'BroadcastProposal') {
        for (let j = 0; j < n; j++) if (j !== i) queue.push([j, { type: 'ProposalReceived', proposal: e.proposal }])
      } else if (e.type === 'BroadcastVote') {
        for (let j = 0; j < n; j++) if (j !== i) queue.push([j, { type: 'VoteReceived', vote: e.vote }])
      } else if (e.type === 'ValidateBlock') {
        queue.push([i, { type: 'BlockValidity', blockHash: e.blockHash, valid: true }])
      } else if (e.type === 'CommitBlock') {
        nodes[i]!.height = e.height
        if (e.height < heights) queue.push([i, { type: 'StartHeight', height: e.height + 1, validators, threshold }])
      }
    }
  }
  const started = performance.now()
  for (let i = 0; i < n; i++) queue.push([i, { type: 'StartHeight', height: 1, validators, threshold }])
  for (let k = 0; k < queue.length; k++) {
    const [i, event] = queue[k]!
    const node = nodes[i]!
    if (event.type !== 'StartHeight' && 'height' in event && event.height !== undefined && event.height !== node.state.height) continue
    const r = node.engine.step(node.state, event)
    node.state = r.state
    apply(i, r.effects)
    if (k > 1_000_000) queue.splice(0, k + 1), (k = -1)
  }
  const seconds = (performance.now() - started) / 1000
  if (nodes.some((x) => x.height !== heights)) throw new Error('bench network did not reach every height')
  return heights / seconds
}

function benchBls(count: number): number {
  const { secretKey, publicKey } = blsKeyFromSeed(sha256(utf8('bench bls')))
  const domain = { network: NETWORK, entity: ENTITY, kind: SignatureKind.Vote }
  const message = voteSigningMessage({ height: 1, round: 0, step: 1, blockHash: sha256(utf8('b')) })
  const signature = signBls(secretKey, domain, message)
  verifyBls(publicKey, domain, message, signature) // warm the key cache
  const started = performance.now()
  for (let i = 0; i < count; i++) if (!verifyBls(publicKey, domain, message, signature)) throw new Error('verify failed')
  return count / ((performance.now() - started) / 1000)
}

benchEngine(4, 200) // warm up the JIT
const blsPerSecond = benchBls(BLS_VERIFIES)
console.log(`BLS verifies/s (one core): ${blsPerSecond.toFixed(0)}`)
for (const n of [4, 10]) {
  const hps = benchEngine(n, HEIGHTS)
  // Per height, each node verifies (n - 1) prevotes and (n - 1) precommits.
  const blsHeightsPerSecond = blsPerSecond / (2 * (n - 1))
  console.log(
    `${n} validators: ${hps.toFixed(0)} heights/s for the whole simulated network (${n} engines in one thread), ` +
      `${(hps * n).toFixed(0)} engine-heights/s; one node's BLS vote checks alone allow ${blsHeightsPerSecond.toFixed(0)} heights/s; ` +
      `engine cost per node = ${((blsHeightsPerSecond / (hps * n)) * 100).toFixed(1)}% of its signature cost`,
  )
}
