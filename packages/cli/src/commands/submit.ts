// Transactions the node signs with its own account key (POST /transactions/unsigned: the node
// picks the nonce), and `--wait`: poll the transaction's status until it is committed, rejected,
// or the deadline passes. Shared by tx, kv and proposal.

import type { Command } from 'commander'
import type { Bytes } from '@p2pnode/core'
import { type Connected, call } from '../client.ts'
import { ExitCode, fail } from '../errors.ts'
import { printFields, printJson } from '../output.ts'
import { parseSeconds } from './input.ts'

export const DEFAULT_WAIT_SECONDS = 30
/** How often --wait asks the node; a block takes about a second on a local network. */
export const WAIT_POLL_MS = 200

export interface SubmitOptions {
  wait?: boolean
  timeout?: string
  json?: boolean
}

export interface Submitted {
  hash: string
  nonce: number
  /** The height that committed it; null without --wait. */
  height: number | null
}

/** Adds --wait and --timeout to a command that submits a transaction. */
export function withWaitOptions(command: Command): Command {
  return command
    .option('--wait', 'wait until the transaction is committed and print its height')
    .option('--timeout <seconds>', `how long --wait waits (default ${DEFAULT_WAIT_SECONDS})`)
}

/** Submits `kind` with `payload`, signed by the node's account; with `wait`, waits for the commit. */
export async function submitUnsigned(node: Connected, kind: string, payload: Bytes, opts: SubmitOptions): Promise<Submitted> {
  // parse the flag before submitting: a bad --timeout must not leave a transaction behind
  const timeoutMs = opts.timeout === undefined ? DEFAULT_WAIT_SECONDS * 1000 : parseSeconds(opts.timeout, '--timeout')
  const { hash, nonce } = await call(node, (c) => c.submitUnsigned(kind, payload))
  const height = opts.wait ? await waitCommitted(node, hash, timeoutMs) : null
  return { hash, nonce, height }
}

/** Polls GET /transactions/:hash until committed (its height) or rejected (exit 9); exit 11 at the deadline. */
export async function waitCommitted(node: Connected, hash: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs
  let last = 'pending'
  for (;;) {
    const status = await call(node, (c) => c.transactionStatus(hash))
    if (status.status === 'committed') return status.height
    if (status.status === 'rejected') {
      fail(ExitCode.Refused, `transaction ${hash} was rejected: ${status.code} (${status.message})`, undefined, status.code)
    }
    last = status.status
    if (Date.now() + WAIT_POLL_MS > deadline) {
      fail(
        ExitCode.Timeout,
        `transaction ${hash} was not committed within ${timeoutMs / 1000} s (last status: ${last})`,
        `it may still commit: p2pnode tx status ${hash}`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS))
  }
}

/** Prints a submission: JSON with at least hash and height, or a few lines for people. */
export function printSubmitted(result: Submitted, opts: SubmitOptions, extra: Record<string, unknown> = {}): void {
  if (opts.json) return printJson({ ...extra, hash: result.hash, nonce: result.nonce, height: result.height })
  const fields: Array<[string, string]> = Object.entries(extra).map(([k, v]) => [k, String(v)])
  fields.push(['hash', result.hash], ['nonce', String(result.nonce)])
  fields.push(['status', result.height === null ? 'submitted (pending)' : `committed at height ${result.height}`])
  printFields(fields)
  if (result.height === null) process.stdout.write(`follow it with: p2pnode tx status ${result.hash}\n`)
}
