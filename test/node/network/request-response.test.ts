import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { NetworkError, NetworkErrorCode, RequestRefused } from '../../../packages/node/src/index.ts'
import type { Network } from '../../../packages/node/src/index.ts'
import { bytes, failure, removeHomes, startNode, stopAll, text } from './helpers.ts'

const MAX_REQUEST = 100

test('request/response: round trip, size limits both ways, timeout', async () => {
  let server: Network | undefined
  let client: Network | undefined
  let release: () => void = () => {}
  const stalled = new Promise<void>((resolve) => {
    release = resolve
  })
  try {
    server = await startNode()
    client = await startNode()
    const protocol = server.syncProtocol
    await server.handle(
      protocol,
      async (request, from) => {
        const ask = text(request)
        if (ask === 'stall') await stalled
        if (ask === 'big') return new Uint8Array(1000)
        if (ask === 'old') throw new RequestRefused('SYNC_PRUNED', 'pruned')
        if (ask === 'broken') throw new Error('a bug of ours, with details the remote must not see')
        return bytes(`${ask.toUpperCase()} for ${from}`)
      },
      { maxRequestBytes: MAX_REQUEST },
    )
    await client.connect(server.addresses()[0]!)
    const id = server.peerId

    const reply = await client.request(id, protocol, bytes('status'), { timeoutMs: 5000 })
    assert.is(text(reply), `STATUS for ${client.peerId}`)

    // refused by the server before it reads the body
    assert.is(await failure(client.request(id, protocol, new Uint8Array(MAX_REQUEST + 1))), NetworkErrorCode.RequestTooLarge)
    // refused by the client before it reads the body
    assert.is(await failure(client.request(id, protocol, bytes('big'), { maxResponseBytes: 999 })), NetworkErrorCode.ResponseTooLarge)
    const started = Date.now()
    assert.is(await failure(client.request(id, protocol, bytes('stall'), { timeoutMs: 300 })), NetworkErrorCode.Timeout)
    const waited = Date.now() - started
    assert.ok(waited >= 290 && waited < 3000, `timeout fired after ${waited} ms`)

    // a refusal reaches the requester with its code; any other handler error only as HANDLER_FAILED
    const refused = await client.request(id, protocol, bytes('old')).catch((err: unknown) => err)
    assert.instance(refused, NetworkError)
    assert.is((refused as NetworkError).code, NetworkErrorCode.RemoteError)
    assert.is((refused as NetworkError).data['remote'], 'SYNC_PRUNED')
    const broken = await client.request(id, protocol, bytes('broken')).catch((err: unknown) => err)
    assert.is((broken as NetworkError).data['remote'], 'HANDLER_FAILED')

    // the connection survives all of that
    assert.is(text(await client.request(id, protocol, bytes('again'))), `AGAIN for ${client.peerId}`)
    // a protocol the server does not speak
    assert.ok((await failure(client.request(id, '/p2pnode/test/nothing/1', bytes('x')))) !== undefined)
  } finally {
    release()
    await stopAll([server, client])
    await removeHomes()
  }
})

test.run()
