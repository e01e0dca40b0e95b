import { Writable } from 'node:stream'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createLogger } from '../../packages/node/src/logger.ts'

function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter((l) => l.length > 0))
      done()
    },
  })
  return { stream, lines }
}

test('json: one object a line, the module and context as fields', () => {
  const { stream, lines } = capture()
  const logger = createLogger({ level: 'debug', destination: stream })
  logger.child({ module: 'sync' }).info({ height: 7 }, 'caught up')
  logger.trace('below the level')
  assert.is(lines.length, 1)
  const line = JSON.parse(lines[0] as string) as Record<string, unknown>
  assert.equal([line.module, line.height, line.msg, line.level], ['sync', 7, 'caught up', 30])
  assert.type(line.time, 'string')
})

test('pretty: readable text through a stream, not a worker', () => {
  const { stream, lines } = capture()
  const logger = createLogger({ format: 'pretty', destination: stream })
  logger.child({ module: 'api' }).warn({ port: 8645 }, 'listening')
  const text = lines.join('\n')
  assert.match(text, 'WARN')
  assert.match(text, 'listening')
  assert.match(text, 'module: "api"')
  assert.not.match(text, '{"level"')
})

test('an unknown level or format is refused', () => {
  assert.throws(() => createLogger({ level: 'loud' as never }), TypeError)
  assert.throws(() => createLogger({ format: 'xml' as never }), TypeError)
})

test.run()
