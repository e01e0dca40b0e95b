// What reset, import, init and start say about the validator's double-sign record
// (<home>/keys/signer-state-<key>.json, see packages/node/src/home/signer-state.ts), and the one
// place that lets an operator go on without it.

import { genesisId } from '@p2pnode/core'
import {
  type LoadedHome,
  SignerState,
  SignerStateError,
  type SignerStateSummary,
  describeMark,
  inspectSignerState,
  setAsideSignerState,
  validatorPublicKeyOf,
} from '@p2pnode/node/home'
import { ExitCode, fail } from '../errors.ts'
import { UNSAFE_RESET_SIGNER_FLAG } from '../options.ts'

export async function signerRecordOf(loaded: LoadedHome): Promise<SignerStateSummary> {
  return inspectSignerState(loaded.paths, validatorPublicKeyOf(loaded.keys), genesisId(loaded.genesis))
}

/** The record as --json prints it. */
export function signerRecordJson(s: SignerStateSummary) {
  return {
    path: s.path,
    present: s.present,
    height: s.mark?.height ?? null,
    round: s.mark?.round ?? null,
    step: s.mark?.step ?? null,
    problem: s.problem?.code ?? null,
  }
}

/** One line for people: where the record is and how far it reaches. */
export function signerRecordText(s: SignerStateSummary): string {
  if (s.problem) return `${s.path} is unreadable (${s.problem.code}); start will refuse to run until it is restored or discarded with ${UNSAFE_RESET_SIGNER_FLAG}`
  if (!s.present) return `none yet (${s.path} is made at this key's first vote)`
  return s.mark ? `${s.path}, signed up to ${describeMark(s.mark)}` : `${s.path}, nothing signed on this chain`
}

export const SIGNER_RESET_WARNING = `WARNING: the double-sign record of this validator key is gone. Until the network is past
every height this key ever voted at, this node can sign a second, conflicting vote at a height it
already voted at: equivocation, which other validators can prove, and, with other faults, a fork.
Never start a copy of this key anywhere else.
`

/**
 * Before a start: the key's record must be readable, or the node would sign without it. With the
 * unsafe flag an unreadable record is moved aside (kept for a post-mortem) and the node starts
 * without one.
 */
export async function checkSignerStateAtStart(loaded: LoadedHome, unsafeReset: boolean): Promise<void> {
  try {
    await SignerState.load(loaded.paths, validatorPublicKeyOf(loaded.keys))
  } catch (err) {
    if (!(err instanceof SignerStateError)) throw err
    if (!unsafeReset) throw signerStateFailure(err, loaded.paths.home)
    const aside = await setAsideSignerState(loaded.paths.keys, validatorPublicKeyOf(loaded.keys))
    process.stderr.write(`${err.message}\nmoved it to ${aside} (${UNSAFE_RESET_SIGNER_FLAG}); starting without a double-sign record.\n${SIGNER_RESET_WARNING}`)
  }
}

/** An unusable record as the operator should read it: exit 3, as for any bad home file (systemd does not restart on it). */
export function signerStateFailure(err: SignerStateError, home: string): Error {
  return fail(
    ExitCode.HomeMissing,
    `${err.message}; the node will not sign without its double-sign record`,
    `an older copy of the file is no remedy; once the network is past the last height this key voted at: p2pnode --home ${home} start ${UNSAFE_RESET_SIGNER_FLAG}`,
    err.code,
  )
}
