// far-round: the attacker holds a validator's BLS key (read from its home, docs/protocol.md
// section 9) and publishes signed proposals for rounds 1..1000 of the height being decided. Each
// carries a distinct block of about 1 MiB of validly signed transactions from fresh accounts,
// built on the real tip (parent hash, validators hash), with a wrong state root: valid in every
// way a receiver can check cheaply, invalid only after full execution. The proposer schedule
// (section 6.3) decides which rounds the key owns; proposals for the others are invalid at once.

import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { type ValidatorKey, freshAccount, signedTx, validatorKeyFromHome } from '../keys.ts'
import {
  type Header,
  encodeBlock,
  encodeEnvelope,
  encodeProposal,
  equalSharesProposer,
  headerHash,
  kvSetPayload,
  proposalSigningMessage,
  toHex,
  txsHash,
} from '../wire.ts'
import { type Attack, mib, paced } from './context.ts'
import { TipWatch } from './tip.ts'

const MAX_ROUND = 1_000
/** Within the default 1 MiB block limit, whose encoding adds a few bytes per transaction. */
const BLOCK_BYTES = 1_000_000
const VALUE_BYTES = 1_000
const POOL = 2_000
const DEFAULT_RATE = 20

let key: ValidatorKey
let pool: Uint8Array[] = []

export const farRound: Attack = {
  gossip: true,
  async setup(ctx) {
    if (ctx.args.home === undefined) throw new Error('far-round needs the home of a validator')
    key = await validatorKeyFromHome(ctx.args.home)
    // the validator's index: where its public key stands in the genesis validator list
    const genesis = JSON.parse(await readFile(`${ctx.args.home}/genesis.json`, 'utf8')) as { validators: Array<{ publicKey: string }> }
    const index = genesis.validators.findIndex((v) => v.publicKey === toHex(key.publicKey))
    if (index < 0) throw new Error('the key in that home is not a genesis validator')
    ctx.args.validatorIndex = index
    // a pool of validly signed transactions; each block takes a different run of them
    pool = Array.from({ length: POOL }, (_, i) => signedTx(freshAccount(), ctx.chain, { nonce: 0, kind: 'kv.set', payload: kvSetPayload(`far-${i}`, randomBytes(VALUE_BYTES)) }))
  },
  async run(ctx) {
    const validatorIndex = ctx.args.validatorIndex!
    const perBlock = Math.min(1_000, Math.floor(BLOCK_BYTES / (pool[0]!.length + 4)))
    const tips = new TipWatch(ctx)
    const first = await tips.first(15_000, true)
    if (!first?.header) {
      ctx.describe('no tip header learned: nothing sent')
      return
    }
    tips.start(300, true)
    const counts = { proposals: 0, owned: 0, heights: new Set<number>(), bytes: 0 }
    let height = 0
    let round = 0
    let blockNo = 0
    await paced(ctx, ctx.args.rate ?? DEFAULT_RATE, async () => {
      const tip = tips.tip!
      if (!tip.header) return
      if (tip.height + 1 !== height) {
        height = tip.height + 1
        round = 0
      }
      round = (round % MAX_ROUND) + 1
      const start = (blockNo++ * 37) % POOL
      const txs = Array.from({ length: perBlock }, (_, i) => pool[(start + i) % POOL]!)
      const header: Header = {
        network: ctx.chain.network,
        entity: ctx.chain.entity,
        height,
        time: Math.max(Date.now(), tip.header.time),
        parentHash: tip.headHash,
        proposer: validatorIndex,
        txsHash: txsHash(txs),
        stateRoot: randomBytes(32), // wrong: found out only by executing the block
        validatorsHash: tip.header.validatorsHash, // no validator-set change in this network
      }
      const blockBytes = encodeBlock(header, txs)
      const target = { height, round, validRound: -1 }
      const signature = key.sign(ctx.chain, 'proposal', proposalSigningMessage(target, headerHash(header)))
      const data = encodeEnvelope(encodeProposal(target, validatorIndex, blockBytes, signature), 0)
      const reached = await ctx.host.publish(ctx.topics.proposal, data)
      if (reached === 0) return
      counts.proposals++
      if (equalSharesProposer(height, round, ctx.args.validators) === validatorIndex) counts.owned++
      counts.heights.add(height)
      counts.bytes += data.length
      ctx.sent(1, data.length * reached)
      ctx.describe(
        `${counts.proposals} signed proposals (${counts.owned} in rounds validator ${validatorIndex} owns) of distinct ${mib(blockBytes.length)} blocks ` +
          `(${perBlock} signed txs, wrong state root) for rounds 1..${MAX_ROUND} of ${counts.heights.size} heights, ${mib(counts.bytes)} per node`,
      )
    })
  },
}
