// tx-bad-sig, tx-nonce-gap: batches of 1,000 transactions (docs/protocol.md section 4) from fresh
// Ed25519 accounts on the txs topic.
// - bad-sig: each signature is a real one of the same key over another transaction, so it
//   parses and costs the receiver a full verification before it fails. Invalid.
// - nonce-gap: validly signed, with nonces 10,000 past the account's next (0): never admissible
//   by the 256-nonce window, yet a receiver that checks the signature first pays for each.

import { randomBytes } from 'node:crypto'
import { type Account, freshAccount, signEd25519, signedTx } from '../keys.ts'
import { type UnsignedTx, encodeBatch, encodeTx, kvSetPayload, txSigningMessage, utf8 } from '../wire.ts'
import { type Attack, type AttackContext, mib, paced } from './context.ts'

const BATCH_TXS = 1_000
const DEFAULT_BATCHES_PER_SECOND = 10
const ACCOUNTS = 10_000
const NONCE_AHEAD = 10_000

interface Keyed {
  account: Account
  /** bad-sig: a genuine signature of this account over some other transaction. */
  lifted?: Uint8Array
}

function txFlood(kind: 'bad-sig' | 'nonce-gap'): Attack {
  const keys: Keyed[] = []
  return {
    gossip: true,
    async setup(ctx) {
      for (let i = 0; i < ACCOUNTS; i++) {
        const account = freshAccount()
        const lifted =
          kind === 'bad-sig'
            ? signEd25519(account, ctx.chain, 'tx', txSigningMessage(ctx.chain, { sender: account.publicKey, nonce: 0, kind: 'kv.set', payload: kvSetPayload('lifted', utf8('x')) }))
            : undefined
        keys.push({ account, ...(lifted ? { lifted } : {}) })
      }
    },
    async run(ctx: AttackContext) {
      let batches = 0
      let bytes = 0
      const salt = randomBytes(4).toString('hex')
      await paced(ctx, ctx.args.rate ?? DEFAULT_BATCHES_PER_SECOND, async (b) => {
        const txs: Uint8Array[] = []
        for (let j = 0; j < BATCH_TXS; j++) {
          const k = b * BATCH_TXS + j
          const { account, lifted } = keys[k % ACCOUNTS]!
          const round = Math.floor(k / ACCOUNTS) // a new nonce each time an account comes round again
          const tx: Omit<UnsignedTx, 'sender'> = { nonce: kind === 'nonce-gap' ? NONCE_AHEAD + round : round, kind: 'kv.set', payload: kvSetPayload(`${salt}-${k}`, utf8('v')) }
          txs.push(kind === 'bad-sig' ? encodeTx(ctx.chain, { ...tx, sender: account.publicKey }, lifted!) : signedTx(account, ctx.chain, tx))
        }
        const batch = encodeBatch(txs)
        const reached = await ctx.host.publish(ctx.topics.txs, batch)
        if (reached === 0) return
        batches++
        bytes += batch.length
        ctx.sent(1, batch.length * reached)
        ctx.describe(
          `${batches} batches of ${BATCH_TXS} txs (${mib(bytes)}) from ${Math.min(ACCOUNTS, batches * BATCH_TXS).toLocaleString('en')} fresh accounts, ` +
            (kind === 'bad-sig' ? 'each signature genuine but over another tx' : `validly signed, nonces ${NONCE_AHEAD.toLocaleString('en')} ahead`),
        )
      })
    },
  }
}

export const txBadSig = txFlood('bad-sig')
export const txNonceGap = txFlood('nonce-gap')
