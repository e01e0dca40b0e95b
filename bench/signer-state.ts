// `node --conditions=p2pnode-source --import tsx bench/signer-state.ts [DIR]`: the cost of SignerState.record(), which the
// consensus loop pays before broadcasting each own vote, beside the machine's own cost of one
// in-place write + fdatasync of a page in the same directory, the least a durable record can cost
// (a record is smaller than a page, and the disk writes whole pages). The two are measured in
// alternating batches, so that the load of this shared machine weighs on both alike.
// DIR defaults to a temp dir; give a directory on the disk a validator's home will live on.

import { mkdtemp, open, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SignatureKind, ValidatorSigner, type Vote, VoteStep, signBls, voteSigningMessage } from '@p2pnode/core'
import { SignerState } from '../packages/node/src/home/signer-state.ts'

const RECORDS = 1_000
const BATCH = 50
const PAGE_BYTES = 4096
const NETWORK = 'bench'
const ENTITY = new Uint8Array(32).fill(1)

const root = await mkdtemp(join(process.argv[2] ?? tmpdir(), 'p2pnode-bench-signer-'))
try {
  const key = new ValidatorSigner(new Uint8Array(32).fill(9))
  // Votes signed beforehand: the figure is the record's cost, not BLS signing's.
  const votes: Vote[] = []
  for (let i = 0; i < RECORDS; i++) {
    const target = { height: 1 + Math.floor(i / 2), round: 0, step: i % 2 === 0 ? VoteStep.Prevote : VoteStep.Precommit, blockHash: new Uint8Array(32).fill(Math.floor(i / 2) % 256) }
    votes.push({ network: NETWORK, entity: ENTITY, validator: 0, ...target, signature: signBls(key.secret, { network: NETWORK, entity: ENTITY, kind: SignatureKind.Vote }, voteSigningMessage(target)) })
  }

  const state = await SignerState.load({ keys: root }, key.publicKey)
  await state.record(votes[0]!) // the file's creation, a one-off, is not the steady cost
  // The machine's floor: a page written and fdatasync'd in place, no rename, no directory sync.
  const page = Buffer.alloc(PAGE_BYTES, 'x')
  const raw = await open(join(root, 'raw'), 'w')
  await raw.write(page, 0, page.length, 0)
  await raw.sync()

  let recordNs = 0n
  let floorNs = 0n
  for (let i = 1; i < RECORDS; i += BATCH) {
    let start = process.hrtime.bigint()
    for (const vote of votes.slice(i, i + BATCH)) await state.record(vote)
    recordNs += process.hrtime.bigint() - start
    start = process.hrtime.bigint()
    for (let j = 0; j < Math.min(BATCH, RECORDS - i); j++) {
      await raw.write(page, 0, page.length, 0)
      await raw.datasync()
    }
    floorNs += process.hrtime.bigint() - start
  }
  await raw.close()
  const recordMs = Number(recordNs) / 1e6 / (RECORDS - 1)
  const floorMs = Number(floorNs) / 1e6 / (RECORDS - 1)

  console.log(`SignerState.record: ${recordMs.toFixed(3)} ms per vote (${RECORDS - 1} votes, file ${(await stat(state.path)).size} bytes, ${root})`)
  console.log(`in-place write of ${PAGE_BYTES} bytes + fdatasync: ${floorMs.toFixed(3)} ms`)
  console.log(`ratio: ${(recordMs / floorMs).toFixed(2)} (1 is the floor: one write and one fdatasync per record)`)
} finally {
  await rm(root, { recursive: true, force: true })
}
