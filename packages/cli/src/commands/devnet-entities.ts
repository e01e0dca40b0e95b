// `p2pnode devnet --entities N`: once the devnet's nodes answer, N entities besides the root,
// e0 .. e(N-1), each validated by three nodes in turn (e0 by nodes 0, 1, 2; e1 by 1, 2, 3; ...), so
// their sets overlap and a node validates more than one. node0 registers each in the root
// (entity.create, signed by its account), and every member joins it through its API.

import { TxKind, encodeEntityCreate, makeGenesis, fromHex, toHex } from '@p2pnode/core'
import { Client, ClientError } from '@p2pnode/node/client'
import { identityOf, loadHome } from '@p2pnode/node/home'

/** Validators of each devnet entity (fewer on a devnet of fewer nodes). */
export const DEVNET_ENTITY_VALIDATORS = 3
const DEADLINE_MS = 60_000
const POLL_MS = 250

export interface DevnetEntity {
  name: string
  id: string
  /** Indices of the nodes that validate it. */
  validators: number[]
}

async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS
  for (;;) {
    // a node that does not answer yet, or does not have the registration yet, is asked again;
    // anything else (a rejected registration) ends the wait at once
    const value = await check().catch((err: unknown) => {
      if (err instanceof ClientError) return undefined
      throw err
    })
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`devnet: ${what} did not happen within ${DEADLINE_MS / 1000} s`)
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}

/** Registers and joins `count` entities on the running devnet whose nodes are `homes` (clients alike). */
export async function createDevnetEntities(count: number, homes: string[], clients: Client[], network: string): Promise<DevnetEntity[]> {
  const members = Math.min(DEVNET_ENTITY_VALIDATORS, homes.length)
  const identities = await Promise.all(homes.map(async (home) => identityOf((await loadHome(home)).keys)))
  await until('the root at height 1', async () => ((await clients[0]!.status()).height >= 1 ? true : undefined))
  const out: DevnetEntity[] = []
  for (let k = 0; k < count; k++) {
    const validators = Array.from({ length: members }, (_, j) => (k + j) % homes.length)
    const genesis = makeGenesis({
      network,
      time: Date.now(),
      validators: validators.map((i) => ({
        publicKey: fromHex(identities[i]!.validatorPublicKey),
        account: fromHex(identities[i]!.accountAddress),
        shares: 1,
        proofOfPossession: fromHex(identities[i]!.proofOfPossession),
      })),
    })
    const name = `e${k}`
    const { hash } = await clients[0]!.submitUnsigned(TxKind.EntityCreate, toHex(encodeEntityCreate(genesis, name)))
    const height = await until(`${name} registered`, async () => {
      const status = await clients[0]!.transactionStatus(hash)
      if (status.status === 'rejected') throw new Error(`devnet: registering ${name} was rejected: ${status.code}`)
      return status.status === 'committed' ? status.height : undefined
    })
    for (const i of validators) {
      await until(`node${i} joins ${name}`, async () => {
        if ((await clients[i]!.status()).height < height) return undefined
        try {
          return await clients[i]!.joinEntity(name)
        } catch (err) {
          if (err instanceof ClientError && err.status === 404) return undefined
          throw err
        }
      })
    }
    out.push({ name, id: (await clients[0]!.registryEntry(name)).entry.id, validators })
  }
  return out
}
