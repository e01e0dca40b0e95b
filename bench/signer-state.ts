// `node --import tsx bench/signer-state.ts [DIR]`: the cost of SignerState.record(), which the
// consensus loop pays before broadcasting each own vote, beside the machine's own cost of one
// small write + fsync in the same directory (this machine is shared; absolute times drift).
// DIR defaults to a temp dir; give a directory on the disk a validator's home will live on.

import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SignatureKind, ValidatorSigner, type Vote, VoteStep, signBls, voteSigningMessage } from '@p2pnode/core'
import { SignerState } from '../packages/node/src/home/signer-state.ts'

const RECORDS = 1_000
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
  let start = process.hrtime.bigint()
  for (const vote of votes) await state.record(vote)
  const recordMs = Number(process.hrtime.bigint() - start) / 1e6 / RECORDS

  // The machine's floor: the same bytes written and fsync'd in place, no rename, no directory sync.
  const bytes = Buffer.alloc(1200, 'x')
  const file = await open(join(root, 'raw'), 'w')
  start = process.hrtime.bigint()
  for (let i = 0; i < RECORDS; i++) {
    await file.write(bytes, 0, bytes.length, 0)
    await file.sync()
  }
  const fsyncMs = Number(process.hrtime.bigint() - start) / 1e6 / RECORDS
  await file.close()

  console.log(`SignerState.record: ${recordMs.toFixed(3)} ms per vote (${RECORDS} votes, ${root})`)
  console.log(`write + fsync of the same size in place: ${fsyncMs.toFixed(3)} ms`)
  console.log(`ratio: ${(recordMs / fsyncMs).toFixed(2)} (two fsyncs per record, so about 2 is the floor)`)
} finally {
  await rm(root, { recursive: true, force: true })
}
