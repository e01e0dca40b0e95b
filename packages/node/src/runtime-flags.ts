// The V8 flags a node process runs with. Every way of starting a node passes them: the p2pnode
// script's first line (systemd, Docker and a shell all start the node through it), `p2pnode
// devnet`, the testnet tooling and the tests' clusters.
//
// --max-semi-space-size=4 (MiB): V8 sizes the young generation for throughput, up to 16 MiB per
// semi-space on 64-bit, and keeps what it grew to; an idle node needs a fraction of it. At 4 the
// resident size of an idle node falls by about 20 MiB (docs/BENCHMARKS.md, "Footprint") while
// scavenges, short at this size, stay cheap under load. The old generation is the operator's to
// bound (docs/operations.md: NODE_OPTIONS=--max-old-space-size).

export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4']
