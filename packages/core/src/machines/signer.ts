// Signers: key pairs a node hosts. A validator signer (BLS) signs votes and remembers what it
// signed at its latest height, so that, its record being part of the server's durable state, it
// never signs two different blocks for one height, round and step, even across a restart. An
// account signer (Ed25519) signs transactions.

import { type Bytes, equals, toHex } from '../bytes.ts'
import { sha256 } from '../hash.ts'
import { CoreError, ErrorCode } from '../errors.ts'
import { asBytes, asList, asOptionalHash, asUint, decodeRlp, encodeRlp, encodeUint, type RlpItem } from '../codec/rlp.ts'
import { txSigningMessage, voteSigningMessage, type VoteTarget } from '../codec/objects.ts'
import { blsKeyFromSeed, proveBlsPossession, signBls } from '../crypto/bls.ts'
import { SignatureKind } from '../crypto/domain.ts'
import { addressOf, ed25519KeyFromSeed, signEd25519 } from '../crypto/ed25519.ts'
import type { Transaction, UnsignedTransaction, Vote } from '../types/chain.ts'

const EMPTY = new Uint8Array(0)

/** A signer's id on the server: the hash of its public key. */
export function signerId(publicKey: Bytes): Bytes {
  return sha256(publicKey)
}

export class ValidatorSigner {
  readonly publicKey: Bytes
  readonly id: Bytes
  private readonly secretKey: Bytes
  /** Per entity (hex): the latest height signed at and the votes signed there. */
  private readonly signed = new Map<string, { height: number; votes: VoteTarget[] }>()

  constructor(seed: Bytes) {
    const keys = blsKeyFromSeed(seed)
    this.secretKey = keys.secretKey
    this.publicKey = keys.publicKey
    this.id = signerId(keys.publicKey)
  }

  /** Proof that this signer holds its secret key, required to enter a validator set. */
  provePossession(): Bytes {
    return proveBlsPossession(this.secretKey)
  }

  /** The votes signed at the latest height for `entity` (what a restarted engine must honour). */
  signedVotes(entity: Bytes): VoteTarget[] {
    return [...(this.signed.get(toHex(entity))?.votes ?? [])]
  }

  /**
   * Signs a vote unless it conflicts with one already signed: a different value for the same
   * height, round and step, or any height below the latest one signed.
   */
  signVote(network: string, entity: Bytes, validator: number, target: VoteTarget): Vote {
    const key = toHex(entity)
    const record = this.signed.get(key)
    if (record && target.height < record.height) {
      throw new CoreError(ErrorCode.VoteConflict, `already signing at height ${record.height}`)
    }
    const votes = record && record.height === target.height ? record.votes : []
    const same = votes.find((v) => v.round === target.round && v.step === target.step)
    if (same && !sameValue(same.blockHash, target.blockHash)) {
      throw new CoreError(ErrorCode.VoteConflict, `already signed another value at ${target.height}/${target.round}`)
    }
    if (!same) votes.push({ ...target })
    this.signed.set(key, { height: target.height, votes })
    const signature = signBls(this.secretKey, { network, entity, kind: SignatureKind.Vote }, voteSigningMessage(target))
    return { network, entity, validator, ...target, signature }
  }

  root(): Bytes {
    return sha256(encodeRlp([this.publicKey, this.encodeRecord()]))
  }

  encodeRecord(): RlpItem {
    return [...this.signed.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([entity, r]) => [
        Buffer.from(entity, 'hex'),
        encodeUint(r.height),
        r.votes.map((v) => [encodeUint(v.round), encodeUint(v.step), v.blockHash ?? EMPTY]),
      ])
  }

  restoreRecord(item: RlpItem): void {
    this.signed.clear()
    for (const entry of asList(item, 'signer record')) {
      const [entity, height, votes] = asList(entry, 'signer entity', 3)
      const h = asUint(height, 'height')
      this.signed.set(toHex(asBytes(entity, 'entity', 32)), {
        height: h,
        votes: asList(votes, 'votes').map((v) => {
          const [round, step, hash] = asList(v, 'vote', 3)
          return { height: h, round: asUint(round, 'round'), step: asUint(step, 'step') as VoteTarget['step'], blockHash: asOptionalHash(hash, 'hash') }
        }),
      })
    }
  }
}

function sameValue(a: Bytes | null, b: Bytes | null): boolean {
  return a === null || b === null ? a === b : equals(a, b)
}

export class AccountSigner {
  readonly publicKey: Bytes
  readonly address: Bytes
  readonly id: Bytes
  private readonly secretKey: Bytes

  constructor(seed: Bytes) {
    const keys = ed25519KeyFromSeed(seed)
    this.secretKey = keys.secretKey
    this.publicKey = keys.publicKey
    this.address = addressOf(keys.publicKey)
    this.id = signerId(keys.publicKey)
  }

  signTransaction(tx: Omit<UnsignedTransaction, 'sender'>): Transaction {
    const unsigned: UnsignedTransaction = { ...tx, sender: this.publicKey }
    const domain = { network: tx.network, entity: tx.entity, kind: SignatureKind.Tx }
    return { ...unsigned, signature: signEd25519(this.secretKey, domain, txSigningMessage(unsigned)) }
  }

  root(): Bytes {
    return sha256(this.publicKey)
  }
}

export function decodeSignerRecord(bytes: Bytes): RlpItem {
  return decodeRlp(bytes, 1024 * 1024, 'signer record')
}
