// Starts the real API server on 127.0.0.1 port 0 in front of a stand-in node.

import * as assert from 'uvu/assert'
import { Client, ClientError } from '../../../packages/node/src/api/client.ts'
import { type ApiServerInit, createApiServer } from '../../../packages/node/src/api/server.ts'
import { StandInNode } from './stand-in.ts'

export const TOKEN = 'test-token-0123456789'

export interface Running {
  url: string
  node: StandInNode
  client: Client
  stop(): Promise<void>
  /** fetch with the token, JSON body when given. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>
}

export async function startApi(overrides: Partial<ApiServerInit> = {}): Promise<Running> {
  const node = new StandInNode()
  const server = createApiServer({ node, token: TOKEN, host: '127.0.0.1', port: 0, requestsPerSecond: 0, ...overrides })
  const { url } = await server.start()
  return {
    url,
    node,
    client: new Client({ url, token: TOKEN, timeoutMs: 2000 }),
    stop: () => server.stop(),
    call: (method, path, body, headers = {}) =>
      fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${TOKEN}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      }),
  }
}

export async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await response.json()) as { error: { code: string; message: string } }
  return { status: response.status, code: body.error.code, message: body.error.message }
}

/** The ClientError a call fails with; a call that succeeds, or fails otherwise, fails the test. */
export async function rejects(promise: Promise<unknown>): Promise<ClientError> {
  try {
    await promise
  } catch (err) {
    assert.instance(err, ClientError)
    return err as ClientError
  }
  throw new Error('expected a ClientError')
}
