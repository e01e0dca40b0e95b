// What an operator meets when something is wrong: one sentence, a hint, and a distinct exit code
// per kind of trouble, so scripts can tell them apart. Stack traces only with --debug.

export const ExitCode = {
  Ok: 0,
  /** Anything not listed below: a bug, or an error we did not foresee. */
  Failure: 1,
  /** Bad command line (unknown option, missing argument). */
  Usage: 2,
  /** The home does not exist, or holds no node (run `p2pnode init`). */
  HomeMissing: 3,
  /** No node answers at the home's API address (run `p2pnode start`). */
  NodeNotRunning: 4,
  /** The node refused the API token. */
  Unauthorized: 5,
  /** No such block, transaction, key or peer. */
  NotFound: 6,
  /** An argument is malformed (a multiaddr, a key, a number, hex). */
  BadInput: 7,
  /** The node's port is taken by another process. */
  PortInUse: 8,
  /** The node refused the request (a transaction it will not admit, a full mempool). */
  Refused: 9,
  /** `init` found a home already there (use --force). */
  HomeExists: 10,
  /** `--wait` gave up before the transaction committed. */
  Timeout: 11,
  /** The home's node is running and the command needs it stopped (reset, export, import, start). */
  NodeRunning: 12,
  /** The node could not reach the peer it was asked to connect to. */
  PeerUnreachable: 13,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

export class CliError extends Error {
  override readonly name = 'CliError'
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    readonly hint?: string,
    readonly code?: string,
  ) {
    super(message)
  }
}

export function fail(exitCode: ExitCode, message: string, hint?: string, code?: string): never {
  throw new CliError(exitCode, message, hint, code)
}
