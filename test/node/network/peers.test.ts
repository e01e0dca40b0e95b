import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { MAX_AGENT_LENGTH, PeerBook, sanitizeAgent } from '../../../packages/node/src/network/peers.ts'

test('an agent string loses escape sequences and control characters', () => {
  const cases: Array<[string, string]> = [
    ['go-libp2p/0.36', 'go-libp2p/0.36'],
    ['evil\u001b[2J\u001b[31m/1.0', 'evil/1.0'], // CSI: clear screen, red
    ['a\u001b]0;owned title\u0007b', 'ab'], // OSC window title, BEL-terminated
    ['a\u001b]8;;http://x\u001b\\link\u001b]8;;\u001b\\b', 'alinkb'], // OSC 8 hyperlink, ST-terminated
    ['line\nbreak\r\tand\u0000nul\u007f', 'linebreakandnul'],
    ['c1\u009b31mcsi', 'c131mcsi'], // the 8-bit CSI loses its introducer
    ['bidi\u202eesrever\u2066', 'bidiesrever'],
    ['\u001b', ''],
    ['ünïcødé ✓ 🙂', 'ünïcødé ✓ 🙂'],
  ]
  for (const [raw, clean] of cases) assert.is(sanitizeAgent(raw), clean, JSON.stringify(raw))
  assert.is(sanitizeAgent(undefined), undefined)
})

test('an agent string is cut to MAX_AGENT_LENGTH characters, never inside a character', () => {
  const long = sanitizeAgent('🙂'.repeat(1000))!
  assert.is([...long].length, MAX_AGENT_LENGTH)
  assert.ok(long.endsWith('…'))
  assert.not.match(long, /[\ud800-\udfff](?![\udc00-\udfff])/u)
  assert.is(sanitizeAgent('x'.repeat(MAX_AGENT_LENGTH)), 'x'.repeat(MAX_AGENT_LENGTH))
})

test('the peer book keeps only the sanitized agent', () => {
  const book = new PeerBook()
  book.setAgent('p', 'x\u001b[31my')
  const conn = {
    status: 'open',
    remotePeer: { toString: () => 'p' },
    remoteAddr: { toString: () => '/ip4/127.0.0.1/tcp/1' },
    direction: 'inbound',
    timeline: { open: 1 },
    rtt: 5,
  }
  const [row] = book.list([conn as never], () => 0)
  assert.is(row?.agent, 'xy')
})

test.run()
