// What a hostile 8 MiB input costs the RLP decoder (review H-5), measured in a child process
// with a 256 MB heap (test/fixtures/rlp-memory.ts), so that a decoder that blows up takes the
// child down, not the test run.

import { spawn } from 'node:child_process'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { maxRlpItems } from '../../../packages/core/src/codec/rlp.ts'

const ROOT = new URL('../../../', import.meta.url).pathname
const MEMORY_FIXTURE = new URL('../../fixtures/rlp-memory.ts', import.meta.url).pathname

interface MemoryReport {
  code: string
  ms: number
  heapMB: number
  rssMB: number
  inputBytes: number
  items?: number
}

/** Runs test/fixtures/rlp-memory.ts on one input; a crash (OOM, stack overflow) fails with its stderr. */
function decodeInChild(input: string): Promise<MemoryReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--max-old-space-size=256', '--expose-gc', '--import', 'tsx', MEMORY_FIXTURE, input], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      // A decoder that copies per level can eat memory outside the V8 heap; never let it run on.
      timeout: 60_000,
      killSignal: 'SIGKILL',
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (err += c.toString()))
    child.on('close', (status, signal) => {
      const line = out.trim().split('\n').pop() ?? ''
      if (status !== 0 || !line.startsWith('{')) {
        reject(new Error(`${input}: the child ended with status ${status} signal ${signal}: ${err.slice(-600)}`))
      } else resolve(JSON.parse(line) as MemoryReport)
    })
  })
}

test('H-5: a flat 8 MiB list of 0x00 and 8 MiB of nested lists fail with a code within 1 s and under 50 MB', async () => {
  const expected: Record<string, string> = { flat: 'CODEC_TOO_MANY_ITEMS', nested: 'CODEC_TOO_DEEP' }
  for (const [input, wanted] of Object.entries(expected)) {
    const r = await decodeInChild(input)
    console.log(`  rlp ${input}: ${r.code} in ${r.ms} ms, heap +${r.heapMB} MB, rss +${r.rssMB} MB (${r.inputBytes} bytes)`)
    assert.is(r.code, wanted, input)
    assert.ok(r.ms < 1000, `${input}: ${r.ms} ms`)
    assert.ok(r.heapMB < 50, `${input}: heap grew ${r.heapMB} MB`)
    assert.ok(r.rssMB < 50, `${input}: rss grew ${r.rssMB} MB`)
  }
})

test('the most items the default limit lets through from 8 MiB cost at most 16 times the input in heap', async () => {
  const r = await decodeInChild('dense')
  console.log(`  rlp dense: ${r.items} items decoded in ${r.ms} ms, heap +${r.heapMB} MB, rss +${r.rssMB} MB (${r.inputBytes} bytes)`)
  assert.is(r.code, 'none')
  const maxItems = maxRlpItems(r.inputBytes)
  assert.ok(r.items! > maxItems * 0.99, `${r.items} items of ${maxItems}`)
  assert.ok(r.heapMB < (16 * r.inputBytes) / 1024 / 1024, `heap grew ${r.heapMB} MB`)
})

test.run()
