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
