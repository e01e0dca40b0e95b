import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { ClientError } from '../../../packages/node/src/api/client.ts'
import type { NodeEvent } from '../../../packages/node/src/api/node-api.ts'
import { errorOf, startApi } from './helpers.ts'

/** Reads a raw SSE body until `done(text so far)` holds. */
async function readUntil(body: ReadableStream<Uint8Array>, done: (text: string) => boolean): Promise<string> {
  const decoder = new TextDecoder()
  let text = ''
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    text += decoder.decode(chunk, { stream: true })
    if (done(text)) return text
  }
  return text
}

test('the client receives each NodeEvent from /events', async () => {
  const api = await startApi()
  try {
    const received: NodeEvent[] = []
    let gotTwo: () => void = () => {}
    const two = new Promise<void>((resolve) => (gotTwo = resolve))
    let close: () => void = () => {}
    await new Promise<void>((resolve) => {
      close = api.client.events(
        (e) => {
          received.push(e)
          if (received.length === 2) gotTwo()
        },
        { onOpen: resolve },
      )
    })
    const block: NodeEvent = { type: 'block', entity: 'cd'.repeat(32), height: 5, hash: 'ab'.repeat(32), txs: 3, time: 1 }
    const peer: NodeEvent = { type: 'peer:connect', peerId: '12D3KooWX', addr: '/ip4/127.0.0.1/tcp/1' }
    api.node.events.emit('event', block)
    api.node.events.emit('event', peer)
    await two
    assert.equal(received, [block, peer])
    close()
  } finally {
    await api.stop()
  }
})

test('raw stream: event and data lines, heartbeat comments', async () => {
  const api = await startApi({ heartbeatMs: 10 })
  try {
    const r = await api.call('GET', '/events')
    assert.is(r.status, 200)
    assert.match(r.headers.get('content-type') ?? '', 'text/event-stream')
    const body = r.body as ReadableStream<Uint8Array>
    api.node.events.emit('event', { type: 'sync', syncing: true, height: 1, target: 9 })
    const text = await readUntil(body, (t) => t.includes(': heartbeat\n\n') && t.includes('"target":9}\n\n'))
    assert.match(text, 'event: sync\ndata: {"type":"sync","syncing":true,"height":1,"target":9}\n\n')
    await body.cancel()
  } finally {
    await api.stop()
  }
})

test('stop() ends open streams instead of waiting on them; the client hears the end', async () => {
  const api = await startApi()
  let ended: (e: ClientError | undefined) => void = () => {}
  const end = new Promise<ClientError | undefined>((resolve) => (ended = resolve))
  await new Promise<void>((resolve) => {
    api.client.events(() => {}, { onOpen: resolve, onEnd: ended })
  })
  assert.is(api.node.events.listenerCount('event'), 1)
  await api.stop()
  const error = await end
  assert.is(error?.code, 'NODE_UNREACHABLE')
  assert.is(api.node.events.listenerCount('event'), 0, 'listener removed')
})

test('event streams are capped in number', async () => {
  const api = await startApi({ maxEventStreams: 1 })
  try {
    const first = await api.call('GET', '/events')
    assert.is(first.status, 200)
    const e = await errorOf(await api.call('GET', '/events'))
    assert.equal([e.status, e.code], [503, 'TOO_MANY_STREAMS'])
    await first.body?.cancel()
  } finally {
    await api.stop()
  }
})

test.run()
