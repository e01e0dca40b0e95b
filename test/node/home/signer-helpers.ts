// What the signer record tests share: a fresh keys directory and key per test, votes signed
// directly (so a test can sign what the core signer would refuse), and readers of the file.

import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as assert from 'uvu/assert'
import { type Bytes, SignatureKind, ValidatorSigner, type Vote, VoteStep, signBls, voteSigningMessage } from '../../../packages/core/src/index.ts'
import { SignerState, SignerStateError, type SignerStateErrorCode } from '../../../packages/node/src/home/signer-state.ts'
import { readSlots } from '../../../packages/node/src/home/slot-file.ts'

export const NETWORK = 'signer-test'
export const ENTITY = new Uint8Array(32).fill(7)
export const OTHER_ENTITY = new Uint8Array(32).fill(8)
export const BLOCK_A = new Uint8Array(32).fill(0xaa)
export const BLOCK_B = new Uint8Array(32).fill(0xbb)
export const { Prevote, Precommit } = VoteStep

/** A temp directory for a test file (`open` in before, `close` in after), and a fresh keys directory and key in it per test. */
export function signerHomes(prefix: string) {
  let dir = ''
  let n = 0
  return {
    get dir(): string {
      return dir
    },
    open: async () => {
      dir = await mkdtemp(join(tmpdir(), prefix))
    },
    close: async () => {
      await rm(dir, { recursive: true, force: true })
    },
    fresh: async (): Promise<{ paths: { keys: string }; key: ValidatorSigner }> => {
      const keys = join(dir, `home${n++}`, 'keys')
      await mkdir(keys, { recursive: true, mode: 0o700 })
      return { paths: { keys }, key: new ValidatorSigner(new Uint8Array(32).fill(n)) }
    },
  }
}

/** A vote signed by `key` (directly, so that tests can sign what the core signer would refuse). */
export function vote(key: ValidatorSigner, height: number, round: number, step: VoteStep, blockHash: Bytes | null, entity = ENTITY): Vote {
  const target = { height, round, step, blockHash }
  const signature = signBls(key.secret, { network: NETWORK, entity, kind: SignatureKind.Vote }, voteSigningMessage(target))
  return { network: NETWORK, entity, validator: 0, ...target, signature }
}

export async function rejects(run: () => Promise<unknown>, code: SignerStateErrorCode, what: string): Promise<void> {
  try {
    await run()
  } catch (err) {
    assert.instance(err, SignerStateError, what)
    assert.is((err as SignerStateError).code, code, what)
    return
  }
  assert.unreachable(`${what}: no error`)
}

/** The record in the file's newest slot (the JSON a reload decodes). */
export function newestPayload(file: Uint8Array): Buffer {
  const read = readSlots(file)
  if (read.kind !== 'slots') throw new Error(`no valid slot: ${read.kind}`)
  return Buffer.from(read.newest.payload)
}

/** The mark and kept votes a fresh load finds: what a restarted node would act on. */
export async function reloadedView(paths: { keys: string }, key: ValidatorSigner): Promise<string> {
  const state = await SignerState.load(paths, key.publicKey)
  const mark = state.highWater(ENTITY)
  return mark ? `${mark.height}/${mark.round}/${mark.step} votes ${state.votesAt(ENTITY, mark.height).map((v) => `${v.round}/${v.step}`).join(',')}` : 'none'
}
