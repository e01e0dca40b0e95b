// The one table from core's error codes to what gossip does with a message that raised them:
// accept (forward), ignore (drop, no blame: a race or a full pool) or reject (drop and lower the
// sender's score: the message could never have been valid). Codes not listed reject: an unknown
// failure is the sender's until shown otherwise.

import { ErrorCode } from '@p2pnode/core'

export type Verdict = 'accept' | 'ignore' | 'reject'

const IGNORE: readonly string[] = [
  // honest races between nodes
  ErrorCode.MempoolDuplicate,
  ErrorCode.MempoolAlreadyCommitted,
  ErrorCode.TxNonceTooLow,
  ErrorCode.TxNonceGap,
  // Ignore, not reject: a peer forwards a transaction only after its own pool took it, so a
  // closed entity's sender refused here was admitted in the peer's state. The two states differ
  // only when an accounts.allow, accounts.deny or openAccounts change passed in a block one of us
  // has and the other not yet, and an allow is just when the admitted start sending: rejecting
  // would lower the scores of honest peers one block ahead or behind. An ignored transaction is
  // not forwarded, so a stranger's write still goes no further than the first node it reaches,
  // and costs that node no signature check (the pool refuses it before one).
  ErrorCode.TxAccountNotAdmitted,
  // our own limits, not the sender's fault
  ErrorCode.MempoolFull,
  ErrorCode.MempoolSenderFull,
  ErrorCode.ServerBusy,
  // blocks built on a tip we have not reached or have passed
  ErrorCode.BlockWrongHeight,
  ErrorCode.BlockParentUnknown,
]

export function verdictFor(code: string): Verdict {
  return IGNORE.includes(code) ? 'ignore' : 'reject'
}

/** Of several verdicts on parts of one message: any reject rejects, else any accept accepts. */
export function combine(verdicts: Iterable<Verdict>): Verdict {
  let out: Verdict = 'ignore'
  for (const v of verdicts) {
    if (v === 'reject') return 'reject'
    if (v === 'accept') out = 'accept'
  }
  return out
}
