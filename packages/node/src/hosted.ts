// Which hosted entity an API request is about, and where a signed transaction goes: the entity
// it names. node-api-impl.ts answers through these; the hosts are node.ts's EntityHosts.

import { type Bytes, type EntityMachine, type StateReader, type Tip, ErrorCode, decodeCommit, decodeTx, equals, fromHex, registryEntry, registryIdByName, toHex } from '@p2pnode/core'
import { ApiError, type HostedEntityView } from './api/node-api.ts'
import { signerIndices } from './api/views.ts'
import { ApiErrorCode } from './api/errors.ts'
import type { TxBatches } from './gossip/tx-batches.ts'

/** What the API reads of each hosted entity (entity-host.ts's EntityHost). */
export interface HostedEntity {
  entity: EntityMachine
  durable(): Tip
  isValidator(): boolean
  syncer: { readonly syncing: boolean }
  txs: Pick<TxBatches, 'submit'>
}

/** An entity named by its id (64 hex, either case) or its registered name (in the root's state). */
export function entityIdOf(root: StateReader, idOrName: string): Bytes | undefined {
  return /^[0-9a-fA-F]{64}$/.test(idOrName) ? fromHex(idOrName.toLowerCase()) : registryIdByName(root, idOrName)
}

/**
 * The hosted entity a request is about: `entity` is its id (64 hex) or registered name (in the
 * root's state), the root when absent; 404 ENTITY_NOT_HOSTED for one this node does not host.
 */
export function scopeOf(hosted: readonly HostedEntity[], root: StateReader, entity?: string): HostedEntity {
  if (entity === undefined || entity === '') return hosted[0]!
  const id = entityIdOf(root, entity)
  const found = id && hosted.find((h) => equals(h.entity.id, id))
  if (!found) throw new ApiError(404, ApiErrorCode.EntityNotHosted, `this node does not host ${entity} (p2pnode entity join)`)
  return found
}

/** Signed transactions go to the entity each names (its own `entity` field), in order per entity. */
export async function submitToHosts(hosted: readonly HostedEntity[], encoded: Bytes[]): Promise<Array<{ hash: Bytes } | { code: string }>> {
  const results: Array<{ hash: Bytes } | { code: string }> = encoded.map(() => ({ code: ErrorCode.TxWrongEntity }))
  const groups = new Map<HostedEntity, number[]>()
  for (const [i, tx] of encoded.entries()) {
    let target: HostedEntity | undefined
    try {
      target = hosted.find((h) => equals(h.entity.id, decodeTx(tx).entity))
    } catch {
      target = hosted[0] // undecodable: the root's pool says why
    }
    if (target) groups.set(target, [...(groups.get(target) ?? []), i])
  }
  for (const [host, indices] of groups) {
    const out = await host.txs.submit(indices.map((i) => encoded[i]!), Date.now())
    indices.forEach((i, k) => (results[i] = out[k]!))
  }
  return results
}

/** GET /entities: each hosted entity, the root first; `topicPeers(id hex)` counts peers on its vote topic. */
export async function hostedViews(hosted: readonly HostedEntity[], root: StateReader, topicPeers: (idHex: string) => number): Promise<HostedEntityView[]> {
  return Promise.all(
    hosted.map(async (h, i) => {
      const tip = h.durable()
      const commit = tip.height > 0 ? await h.entity.chainStore.loadCommit(tip.height) : undefined
      return {
        id: toHex(h.entity.id),
        name: i === 0 ? 'root' : (registryEntry(root, h.entity.id)?.name ?? ''),
        root: i === 0,
        role: h.isValidator() ? 'validator' : 'follower',
        height: tip.height,
        headTime: tip.time,
        validators: tip.state.validators().length,
        // the validators whose signature is in the head's certificate: the ones seen online last
        validatorsOnline: commit ? signerIndices(decodeCommit(commit).signers).length : 0,
        peers: topicPeers(toHex(h.entity.id)),
        syncing: h.syncer.syncing,
        mempool: h.entity.mempool.size,
      } satisfies HostedEntityView
    }),
  )
}
