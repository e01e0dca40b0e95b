// A client for the node's HTTP API, one method per route (routes/index.ts has the table). It
// loads nothing of the node but types, so the CLI starts fast: global fetch, one timeout per
// request, and every failure is a ClientError with a code: the server's own code for an HTTP
// error, NODE_UNREACHABLE when nothing answers, TIMEOUT when it answers too slowly.

import type {
  BanOptions,
  BanView,
  BlockView,
  EntityView,
  KvView,
  NodeEvent,
  PeerView,
  HostedEntityView,
  ProposalView,
  RegistryEntryProofView,
  RegistryListView,
  StatusView,
  SubmitResult,
  TxStatusView,
} from './node-api.ts'

// The ban limits, for callers (the CLI) that check input before sending it.
export { DEFAULT_BAN_REASON, MAX_BAN_MINUTES, MAX_BAN_REASON_CHARS } from './node-api.ts'

export const DEFAULT_CLIENT_TIMEOUT_MS = 10_000

export const ClientErrorCode = {
  NodeUnreachable: 'NODE_UNREACHABLE',
  Timeout: 'TIMEOUT',
  BadResponse: 'BAD_RESPONSE',
} as const

export class ClientError extends Error {
  override readonly name = 'ClientError'
  constructor(
    /** HTTP status; 0 when no response came. */
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export interface ClientInit {
  /** Base URL of the API, e.g. http://127.0.0.1:7401 */
  url: string
  token: string
  timeoutMs?: number
  /**
   * The hosted entity the entity-scoped calls are about (blocks, transactions, kv, entity,
   * proposals): its id (64 hex) or registered name; the root when absent.
   */
  entity?: string
}

export type HealthView = { status: 'ok' | 'syncing' | 'down'; reason?: string }

export interface EventsOptions {
  /** The stream is open: every event from now on will arrive. */
  onOpen?: () => void
  /** The stream ended: `error` is undefined when close() was called. */
  onEnd?: (error?: ClientError) => void
}

export class Client {
  private readonly base: string
  private readonly token: string
  private readonly timeoutMs: number
  private readonly scope: string | undefined

  constructor(init: ClientInit) {
    this.base = init.url.replace(/\/+$/, '')
    this.token = init.token
    this.timeoutMs = init.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS
    this.scope = init.entity
  }

  /** `path` with `?entity=`/`&entity=` when this client is about an entity other than the root. */
  private scoped(path: string): string {
    if (this.scope === undefined) return path
    return `${path}${path.includes('?') ? '&' : '?'}entity=${encodeURIComponent(this.scope)}`
  }

  status(): Promise<StatusView> {
    return this.request('GET', '/status')
  }

  /** 206 (syncing) and 503 (down) are answers here, not errors. */
  health(): Promise<HealthView> {
    return this.request('GET', '/health', undefined, [503])
  }

  async peers(): Promise<PeerView[]> {
    return (await this.request<{ peers: PeerView[] }>('GET', '/peers')).peers
  }

  connect(multiaddr: string): Promise<PeerView | { peerId: string }> {
    return this.request('POST', '/peers', { multiaddr })
  }

  async disconnect(peerId: string): Promise<void> {
    await this.request('DELETE', `/peers/${encodeURIComponent(peerId)}`)
  }

  async bans(): Promise<BanView[]> {
    return (await this.request<{ bans: BanView[] }>('GET', '/bans')).bans
  }

  /** Bans a peer for `minutes` (default the node's p2p.banMinutes), replacing a ban it has. */
  async ban(peerId: string, options: BanOptions = {}): Promise<BanView> {
    return (await this.request<{ ban: BanView }>('POST', '/bans', { peerId, ...options })).ban
  }

  /** Lifts a ban; ClientError 404 BAN_NOT_FOUND when the peer is not banned. */
  async unban(peerId: string): Promise<void> {
    await this.request('DELETE', `/bans/${encodeURIComponent(peerId)}`)
  }

  /** By height or hash; null when the node has no such block; ClientError 410 BLOCK_PRUNED for a pruned height. */
  async block(id: number | string): Promise<BlockView | null> {
    try {
      return await this.request<BlockView>('GET', this.scoped(`/blocks/${encodeURIComponent(String(id))}`))
    } catch (err) {
      if (err instanceof ClientError && err.status === 404 && err.code === 'BLOCK_NOT_FOUND') return null
      throw err
    }
  }

  /** Blocks `from`..`to` inclusive; the server caps a range at 100 blocks. */
  async blocks(from: number, to?: number): Promise<BlockView[]> {
    const query = to === undefined ? `from=${from}` : `from=${from}&to=${to}`
    return (await this.request<{ blocks: BlockView[] }>('GET', this.scoped(`/blocks?${query}`))).blocks
  }

  head(): Promise<BlockView> {
    return this.request('GET', this.scoped('/blocks/head'))
  }

  submitTransaction(tx: string | Uint8Array): Promise<{ hash: string }> {
    return this.request('POST', '/transactions', { tx: typeof tx === 'string' ? tx : Buffer.from(tx).toString('hex') })
  }

  async submitTransactions(txs: Array<string | Uint8Array>): Promise<SubmitResult[]> {
    const hex = txs.map((tx) => (typeof tx === 'string' ? tx : Buffer.from(tx).toString('hex')))
    return (await this.request<{ results: SubmitResult[] }>('POST', '/transactions/batch', { txs: hex })).results
  }

  submitUnsigned(kind: string, payload: string | Uint8Array): Promise<{ hash: string; nonce: number }> {
    const hex = typeof payload === 'string' ? payload : Buffer.from(payload).toString('hex')
    return this.request('POST', '/transactions/unsigned', { kind, payload: hex, ...(this.scope === undefined ? {} : { entity: this.scope }) })
  }

  transactionStatus(hash: string): Promise<TxStatusView> {
    return this.request('GET', this.scoped(`/transactions/${encodeURIComponent(hash)}`))
  }

  /** `key` is `<account hex>/<key>`. */
  kvGet(key: string, options: { prove?: boolean } = {}): Promise<KvView> {
    return this.request('GET', this.scoped(`/kv/${encodeURIComponent(key)}${options.prove === true ? '?prove=1' : ''}`))
  }

  async kvKeys(prefix = '', limit?: number): Promise<string[]> {
    const params = new URLSearchParams({ prefix })
    if (limit !== undefined) params.set('limit', String(limit))
    return (await this.request<{ keys: string[] }>('GET', this.scoped(`/kv?${params}`))).keys
  }

  entity(): Promise<EntityView> {
    return this.request('GET', this.scoped('/entity'))
  }

  async entities(): Promise<HostedEntityView[]> {
    return (await this.request<{ entities: HostedEntityView[] }>('GET', '/entities')).entities
  }

  /** Starts hosting a registered entity, by id or name. */
  joinEntity(entity: string): Promise<HostedEntityView> {
    return this.request('POST', '/entities', { entity })
  }

  async leaveEntity(entity: string): Promise<void> {
    await this.request('DELETE', `/entities/${encodeURIComponent(entity)}`)
  }

  registry(from = 0, limit?: number): Promise<RegistryListView> {
    const params = new URLSearchParams({ from: String(from) })
    if (limit !== undefined) params.set('limit', String(limit))
    return this.request('GET', `/registry?${params}`)
  }

  /** `entity` is an id (64 hex) or a registered name. */
  registryEntry(entity: string, options: { prove?: boolean } = {}): Promise<RegistryEntryProofView> {
    return this.request('GET', `/registry/${encodeURIComponent(entity)}${options.prove === true ? '?prove=1' : ''}`)
  }

  async proposals(): Promise<ProposalView[]> {
    return (await this.request<{ proposals: ProposalView[] }>('GET', this.scoped('/proposals'))).proposals
  }

  /**
   * Follows GET /events, calling `onEvent` for each NodeEvent. Returns a function that closes
   * the stream. The timeout applies to opening it only: a quiet node is not a failure.
   */
  events(onEvent: (event: NodeEvent) => void, options: EventsOptions = {}): () => void {
    const controller = new AbortController()
    let closed = false
    const finish = (error?: ClientError): void => {
      if (closed) return
      closed = true
      options.onEnd?.(error)
    }
    const opening = setTimeout(() => controller.abort(new DOMException('timeout', 'TimeoutError')), this.timeoutMs)
    const run = async (): Promise<void> => {
      const response = await this.fetch('GET', '/events', undefined, controller.signal)
      clearTimeout(opening)
      if (!response.ok) throw await errorFrom(response)
      if (response.body === null) throw new ClientError(response.status, ClientErrorCode.BadResponse, 'event stream has no body')
      options.onOpen?.()
      await readEventStream(response.body, onEvent)
    }
    run().then(
      () => finish(closed ? undefined : new ClientError(0, ClientErrorCode.NodeUnreachable, `event stream from ${this.base} ended`)),
      (err: unknown) => {
        clearTimeout(opening)
        finish(closed ? undefined : this.toClientError(err))
      },
    )
    return () => {
      clearTimeout(opening)
      finish()
      controller.abort()
    }
  }

  private async request<T>(method: string, path: string, body?: unknown, okStatuses: number[] = []): Promise<T> {
    const response = await this.fetch(method, path, body, AbortSignal.timeout(this.timeoutMs)).catch((err: unknown) => {
      throw this.toClientError(err)
    })
    if (!response.ok && !okStatuses.includes(response.status)) throw await errorFrom(response)
    if (response.status === 204) return undefined as T
    try {
      return (await response.json()) as T
    } catch (err) {
      if (err instanceof Error && err.name === 'TimeoutError') throw this.toClientError(err)
      throw new ClientError(response.status, ClientErrorCode.BadResponse, `${method} ${path}: response is not JSON`)
    }
  }

  private fetch(method: string, path: string, body: unknown, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    return fetch(`${this.base}${path}`, {
      method,
      headers,
      signal,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
  }

  private toClientError(err: unknown): ClientError {
    if (err instanceof ClientError) return err
    const name = (err as { name?: string } | null)?.name
    if (err instanceof SyntaxError) return new ClientError(0, ClientErrorCode.BadResponse, `${this.base}: malformed event: ${err.message}`)
    if (name === 'TimeoutError') return new ClientError(0, ClientErrorCode.Timeout, `${this.base}: no answer within ${this.timeoutMs} ms`)
    const cause = (err as { cause?: { code?: string } } | null)?.cause?.code
    return new ClientError(0, ClientErrorCode.NodeUnreachable, `cannot reach the node at ${this.base}${cause !== undefined ? ` (${cause})` : ''}`)
  }
}

async function errorFrom(response: Response): Promise<ClientError> {
  const text = await response.text().catch(() => '')
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }
    if (typeof body.error?.code === 'string') {
      return new ClientError(response.status, body.error.code, String(body.error.message ?? body.error.code))
    }
  } catch {
    // not JSON: fall through to a generic error carrying the status
  }
  return new ClientError(response.status, `HTTP_${response.status}`, text.slice(0, 200) || response.statusText)
}

/** Parses a text/event-stream body: blocks separated by a blank line, `:` lines are comments. */
async function readEventStream(body: ReadableStream<Uint8Array>, onEvent: (event: NodeEvent) => void): Promise<void> {
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n')
    let end = buffer.indexOf('\n\n')
    while (end !== -1) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''))
        .join('\n')
      if (data.length > 0) onEvent(JSON.parse(data) as NodeEvent)
      end = buffer.indexOf('\n\n')
    }
  }
}
