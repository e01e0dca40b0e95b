// `npm run bench:rlp`: our strict RLP decoder beside the one it replaced (@ethereumjs/rlp's decode,
// then a re-encode compared with the input to prove the canonical form), on the same inputs in the
// same run, printed as a ratio because this machine is shared and absolute times drift.
//
// Inputs: a 1 MiB block of 1,000 transactions (what a proposal carries), and a vote (the most
// frequent message). Rounds of the two decoders alternate; each figure is the median of its rounds.

import { RLP } from '@ethereumjs/rlp'
import {
  AccountSigner,
  type Bytes,
  TxKind,
  VoteStep,
  decodeRlp,
  encodeBlock,
  encodeKvSet,
  encodeTx,
  encodeVote,
  equals,
  sha256,
  utf8,
} from '@p2pnode/core'

const ROUNDS = 7
const ROUND_SECONDS = 0.3

/** The decoder before this one, as it was: decode, re-encode, compare. */
function decodeOld(bytes: Bytes): unknown {
  const item = RLP.decode(bytes)
  if (!equals(RLP.encode(item), bytes)) throw new Error('not canonical')
  return item
}

function perSecond(decode: (bytes: Bytes) => unknown, bytes: Bytes): number {
  const start = performance.now()
  let ops = 0
  while (performance.now() - start < ROUND_SECONDS * 1000) {
    for (let i = 0; i < 10; i++) decode(bytes)
    ops += 10
  }
  return ops / ((performance.now() - start) / 1000)
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

function compare(label: string, bytes: Bytes): void {
  const ours: number[] = []
  const old: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    ours.push(perSecond((b) => decodeRlp(b, bytes.length), bytes))
    old.push(perSecond(decodeOld, bytes))
  }
  const o = median(ours)
  const p = median(old)
  const f = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: n < 100 ? 1 : 0 })
  console.log(`${label.padEnd(34)} ours ${f(o).padStart(9)} /s   old ${f(p).padStart(9)} /s   ratio ours/old ${(o / p).toFixed(2)}`)
}

// ---- a 1 MiB block of 1,000 transactions (kv.set, about 1 KiB each)

const network = 'bench'
const entity = sha256(utf8('bench-entity'))
const account = new AccountSigner(sha256(utf8('bench-account')))
const txs = Array.from({ length: 1000 }, (_, nonce) =>
  encodeTx(account.signTransaction({ network, entity, nonce, kind: TxKind.KvSet, payload: encodeKvSet(`key-${nonce}`, new Uint8Array(880).fill(nonce % 251)) })),
)
const hash = new Uint8Array(32)
const block = encodeBlock({
  header: { network, entity, height: 1_000_000, time: 1_700_000_000_000, parentHash: hash, proposer: 3, txsHash: hash, stateRoot: hash, validatorsHash: hash },
  txs,
})

// ---- a vote

const vote = encodeVote({ network, entity, height: 1_000_000, round: 0, step: VoteStep.Precommit, blockHash: sha256(block), validator: 17, signature: new Uint8Array(96).fill(7) })

compare(`block: ${txs.length} txs, ${(block.length / 1024 / 1024).toFixed(2)} MiB`, block)
compare(`vote: ${vote.length} bytes`, vote)
