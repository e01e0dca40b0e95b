// `npm run bench:core`: what core can do on this machine, each figure beside a figure of the
// machine's own measured in the same run, because this machine is shared and absolute times drift.
//
// 1. Transactions verified (decode + Ed25519 signature) and applied (nonce, execution, state tree,
//    root per block) per second, beside raw node:crypto Ed25519 verifies per second.
// 2. Cost of a state update at 10,000 and at 1,000,000 keys: the ratio shows whether it grows
//    with the size of the state (it should grow only with the tree's depth, ~log2 of the keys).

import { generateKeyPairSync, sign, verify } from 'node:crypto'
import {
  AccountSigner,
  EntityState,
  StateTree,
  TxKind,
  ValidatorSigner,
  applyTransaction,
  checkTransaction,
  encodeCounterAdd,
  encodeKvSet,
  encodeTx,
  endBlock,
  genesisState,
  makeGenesis,
  genesisId,
  newBlockContext,
  sha256,
  txHash,
  utf8,
  u64,
} from '@p2pnode/core'

function rate(label: string, seconds: number, run: () => number): number {
  const start = process.hrtime.bigint()
  let ops = 0
  while (Number(process.hrtime.bigint() - start) / 1e9 < seconds) ops += run()
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9
  return ops / elapsed
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

// ---- 1. raw Ed25519 verifies per second (node:crypto, reused KeyObject)

const { publicKey, privateKey } = generateKeyPairSync('ed25519')
const message = sha256(utf8('bench'))
const signature = sign(null, message, privateKey)
const verifiesPerSecond = rate('ed25519', 2, () => {
  for (let i = 0; i < 200; i++) if (!verify(null, message, publicKey, signature)) throw new Error('verify failed')
  return 200
})

// ---- 2. transactions verified and applied per second

const accounts = Array.from({ length: 200 }, (_, i) => new AccountSigner(sha256(utf8(`bench-account-${i}`))))
const validator = new AccountSigner(sha256(utf8('bench-validator')))
const blsValidator = new ValidatorSigner(sha256(utf8('bench-validator-bls')))
const genesis = makeGenesis({
  network: 'bench',
  time: 0,
  validators: [{ publicKey: blsValidator.publicKey, account: validator.address, shares: 1, proofOfPossession: blsValidator.provePossession() }],
})
const entity = genesisId(genesis)
const chain = { network: genesis.network, entity }
const TXS_PER_ACCOUNT = 50
const txs: Uint8Array[] = []
for (let n = 0; n < TXS_PER_ACCOUNT; n++) {
  for (const [i, account] of accounts.entries()) {
    const kind = (n + i) % 2 === 0 ? TxKind.CounterAdd : TxKind.KvSet
    const payload = kind === TxKind.CounterAdd ? encodeCounterAdd(1) : encodeKvSet(`key-${n}`, utf8(`value-${n}-${i}`))
    txs.push(encodeTx(account.signTransaction({ network: genesis.network, entity, nonce: n, kind, payload })))
  }
}
const BLOCK = 1000
const applyRuns: number[] = []
for (let run = 0; run < 3; run++) {
  let state: EntityState = genesisState(genesis).state
  const start = process.hrtime.bigint()
  for (let b = 0; b < txs.length / BLOCK; b++) {
    const batch = state.batch()
    const ctx = newBlockContext(b + 1)
    for (const encoded of txs.slice(b * BLOCK, (b + 1) * BLOCK)) {
      applyTransaction(batch, ctx, checkTransaction(encoded, chain), txHash(encoded))
    }
    endBlock(batch, ctx)
    const finished = batch.finish()
    finished.state.root()
    state = finished.state
  }
  applyRuns.push(txs.length / (Number(process.hrtime.bigint() - start) / 1e9))
  if (state.counter() !== txs.length / 2) throw new Error(`counter ${state.counter()}`)
}
const appliedPerSecond = median(applyRuns)

// ---- 3. state update cost by state size

function randomishKey(i: number): Uint8Array {
  return sha256(u64(i))
}

function updateCost(size: number): { perUpdateUs: number; buildSeconds: number; heapMiB: number } {
  const entries: Array<[Uint8Array, Uint8Array]> = []
  for (let i = 0; i < size; i++) entries.push([randomishKey(i), u64(i)])
  const buildStart = process.hrtime.bigint()
  let tree = StateTree.fromEntries(entries)
  tree.root()
  const buildSeconds = Number(process.hrtime.bigint() - buildStart) / 1e9
  entries.length = 0
  const UPDATES = 1000
  const rounds: number[] = []
  for (let round = 0; round < 7; round++) {
    const start = process.hrtime.bigint()
    for (let u = 0; u < UPDATES; u++) {
      // half overwrite existing keys, half insert new ones
      const key = u % 2 === 0 ? randomishKey((u * 7919 + round) % size) : randomishKey(size + round * UPDATES + u)
      tree = tree.set(key, u64(u + round))
    }
    tree.root()
    rounds.push(Number(process.hrtime.bigint() - start) / 1e3 / UPDATES)
  }
  const heapMiB = process.memoryUsage().heapUsed / 2 ** 20
  return { perUpdateUs: median(rounds), buildSeconds, heapMiB }
}

const small = updateCost(10_000)
const large = updateCost(1_000_000)

const f = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
console.log(`machine: node:crypto Ed25519 verify (reused key)   ${f(verifiesPerSecond)} /s`)
console.log(`core:    transactions verified + applied          ${f(appliedPerSecond)} /s  (median of 3 runs of ${f(txs.length)} txs, blocks of ${BLOCK})`)
console.log(`ratio:   applied / raw verifies                    ${f(appliedPerSecond / verifiesPerSecond, 2)}`)
console.log(`state:   update + root at     10,000 keys          ${f(small.perUpdateUs, 2)} us per update  (tree built in ${f(small.buildSeconds, 2)} s)`)
console.log(`state:   update + root at  1,000,000 keys          ${f(large.perUpdateUs, 2)} us per update  (tree built in ${f(large.buildSeconds, 2)} s, heap ${f(large.heapMiB)} MiB)`)
console.log(`ratio:   1,000,000 keys / 10,000 keys              ${f(large.perUpdateUs / small.perUpdateUs, 2)}  (100x the state; log2 depth grows ~1.5x)`)
