// The registry: every decoder the fuzzer feeds, in a fixed order (docs/fuzzing.md lists them,
// with where their bytes come from and those left out).

import { corpus } from './corpus.ts'
import type { Decoder } from './decoder.ts'
import { coreDecoders } from './decoders-core.ts'
import { diskDecoders } from './decoders-disk.ts'
import { nodeDecoders } from './decoders-node.ts'

let all: Promise<Decoder[]> | undefined

export function decoders(): Promise<Decoder[]> {
  all ??= (async () => {
    const c = await corpus()
    return [...coreDecoders(c), ...diskDecoders(c), ...(await nodeDecoders(c))]
  })()
  return all
}

export async function decoderNamed(name: string): Promise<Decoder> {
  const d = (await decoders()).find((x) => x.name === name)
  if (!d) throw new Error(`no decoder named ${name}`)
  return d
}
