// Signers: key pairs a node hosts. A validator signer (BLS) signs votes and remembers what it
// signed at its latest height, so that, its record being part of the server's durable state, it
// never signs two different blocks for one height, round and step, even across a restart. An
// account signer (Ed25519) signs transactions.

import { type Bytes, equals, toHex } from '../bytes.ts'
import { sha256 } from '../hash.ts'
import { CoreError, ErrorCode } from '../errors.ts'
import { asBytes, asList, decodeRlp, encodeRlp, type RlpItem } from '../codec/rlp.ts'
import { decodeVote, encodeVote, txSigningMessage, voteSigningMessage, type VoteTarget } from '../codec/objects.ts'
import { blsKeyFromSeed, proveBlsPossession, signBls } from '../crypto/bls.ts'
import { SignatureKind } from '../crypto/domain.ts'
import { addressOf, ed25519KeyFromSeed, signEd25519 } from '../crypto/ed25519.ts'
import type { Transaction, UnsignedTransaction, Vote } from '../types/chain.ts'

/** A signer's id on the server: the hash of its public key. */
export function signerId(publicKey: Bytes): Bytes {
  return sha256(publicKey)
}

export class ValidatorSigner {
  readonly publicKey: Bytes
  readonly id: Bytes
  private readonly secretKey: Bytes
  /** Per entity (hex): the latest height signed at and the votes signed there. */
  private readonly signed = new Map<string, { height: number; votes: Vote[] }>()

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

  /** The BLS secret key, for the consensus engine that signs with it (never leaves the node). */
  get secret(): Bytes {
    return this.secretKey
  }

  /** The votes signed at the latest height for `entity` (what a restarted engine must honour). */
  signedVotes(entity: Bytes): Vote[] {
    return [...(this.signed.get(toHex(entity))?.votes ?? [])]
  }

  /**
   * Records a vote this validator signed, unless it conflicts with one recorded before: another
   * value for the same height, round and step, or a height below the latest one. Returns the block
   * hashes of votes dropped because the vote moved to a new height.
   */
  recordVote(vote: Vote): { dropped: Bytes[] } {
    const key = toHex(vote.entity)
    const record = this.signed.get(key)
    if (record && vote.height < record.height) {
      throw new CoreError(ErrorCode.VoteConflict, `already signing at height ${record.height}`)
    }
    const sameHeight = record !== undefined && record.height === vote.height
    const votes = sameHeight ? record.votes : []
    const same = votes.find((v) => v.round === vote.round && v.step === vote.step)
    if (same && !sameValue(same.blockHash, vote.blockHash)) {
      throw new CoreError(ErrorCode.VoteConflict, `already signed another value at ${vote.height}/${vote.round}`)
    }
    if (!same) votes.push(vote)
    this.signed.set(key, { height: vote.height, votes })
    const dropped = sameHeight || !record ? [] : record.votes.flatMap((v) => (v.blockHash ? [v.blockHash] : []))
    return { dropped }
  }

  /** Signs and records a vote (the guard of recordVote applies). */
  signVote(network: string, entity: Bytes, validator: number, target: VoteTarget): Vote {
    const signature = signBls(this.secretKey, { network, entity, kind: SignatureKind.Vote }, voteSigningMessage(target))
    const vote: Vote = { network, entity, validator, ...target, signature }
    this.recordVote(vote)
    return vote
  }

  root(): Bytes {
    return sha256(encodeRlp([this.publicKey, this.encodeRecord()]))
  }

  encodeRecord(): RlpItem {
    return [...this.signed.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, r]) => r.votes.map(encodeVote))
  }

  restoreRecord(item: RlpItem): void {
    this.signed.clear()
    for (const entry of asList(item, 'signer record')) {
      const votes = asList(entry, 'signer votes').map((v) => decodeVote(asBytes(v, 'vote')))
      if (votes.length > 0) this.signed.set(toHex(votes[0]!.entity), { height: votes[0]!.height, votes })
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
