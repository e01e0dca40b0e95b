// What a client of a home's node needs and nothing more: the API address (the config under the
// environment and flags) and the bearer token. It reads neither keys nor genesis, so it loads
// none of BLS, LevelDB or libp2p: the CLI's API commands (`status`, `tx`, ...) start in a
// fraction of the time `loadHome` would take. A broken genesis or key file is the node's
// problem at its start, not a reason to refuse asking a running node for its status.

import type { NodeConfig, NodeConfigInput } from '../config.ts'
import { type HomePaths, checkedApiToken, homePaths, readHomeConfig } from './files.ts'

export { HomeError } from './files.ts'

export interface ApiAccess {
  paths: HomePaths
  config: NodeConfig
  apiToken: string
}

/** The home's resolved config and its API token; `overrides` (environment, flags) win over the file. */
export async function loadApiAccess(home: string, ...overrides: NodeConfigInput[]): Promise<ApiAccess> {
  const config = await readHomeConfig(home, overrides)
  return { paths: homePaths(home), config, apiToken: await checkedApiToken(home) }
}
