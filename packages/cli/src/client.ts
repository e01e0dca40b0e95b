// Talking to the node of a home: its API address from the home's config (flags and environment
// applied), its token from the home. A node that does not answer is said plainly: which address
// was tried, from which home, and how to start it.

import { Client, ClientError } from '@p2pnode/node/client'
import { HomeError, loadApiAccess } from '@p2pnode/node/api-access'
import { ExitCode, fail } from './errors.ts'
import { type GlobalOptions, configFromEnv, resolveHome } from './options.ts'

export interface Connected {
  client: Client
  home: string
  url: string
}

/** Reads the home's API address and token (or says why not) and makes a Client for its node. */
export async function connect(opts: GlobalOptions): Promise<Connected> {
  const home = resolveHome(opts)
  let loaded
  try {
    loaded = await loadApiAccess(home, configFromEnv())
  } catch (err) {
    throw homeError(err, home)
  }
  const { host, port } = loaded.config.api
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  return { client: new Client({ url, token: loaded.apiToken, timeoutMs: 10_000, ...(opts.entity === undefined ? {} : { entity: opts.entity }) }), home, url }
}

export function homeError(err: unknown, home: string): Error {
  if (err instanceof HomeError) {
    if (err.code === 'HOME_EXISTS') return fail(ExitCode.HomeExists, err.message, 'add --force to overwrite it (keys included)', err.code)
    const hint = err.hint ?? (err.code === 'HOME_BAD_FILE' ? 'fix the file, or run p2pnode init --force to start over' : `run: p2pnode init --home ${home}`)
    return fail(ExitCode.HomeMissing, err.message, hint, err.code)
  }
  if (err instanceof Error && err.name === 'ConfigError') return fail(ExitCode.BadInput, err.message, `edit ${home}/config.json`)
  return err as Error
}

/** Runs a client call, turning the client's errors into the CLI's. */
export async function call<T>(c: Connected, run: (client: Client) => Promise<T>): Promise<T> {
  try {
    return await run(c.client)
  } catch (err) {
    if (!(err instanceof ClientError)) throw err
    if (err.code === 'NODE_UNREACHABLE' || err.code === 'TIMEOUT') {
      fail(ExitCode.NodeNotRunning, `no node answers at ${c.url} (the API address of the home ${c.home})`, `start it with: p2pnode start --home ${c.home}`, err.code)
    }
    if (err.status === 401) fail(ExitCode.Unauthorized, `the node at ${c.url} refused the API token of ${c.home}`, `the token is ${c.home}/api-token; is that node this home's?`, err.code)
    if (err.status === 404) fail(ExitCode.NotFound, err.message, undefined, err.code)
    if (err.status === 400) fail(ExitCode.BadInput, err.message, undefined, err.code)
    if (err.status === 409 || err.status === 429) fail(ExitCode.Refused, err.message, undefined, err.code)
    throw err
  }
}
