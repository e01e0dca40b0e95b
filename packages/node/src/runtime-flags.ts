// The V8 flags a node process runs with. Every way of starting a node passes them: the p2pnode
// script's first line (systemd, Docker and a shell all start the node through it), `p2pnode
// devnet`, the testnet tooling and the tests' clusters.
//
// None for now. --max-semi-space-size=4 (MiB) cut an idle node's RSS from about 131 to 109 MiB,
// but under the attack suite's replay flood (480 messages a second) the chain fell to 0.16-0.39 of
// its rate with it and kept 0.5+ without it: a young generation that small promotes what a flood
// allocates and pays in full collections. A middle value is next (docs/BENCHMARKS.md, "Footprint").
// The old generation is the operator's to bound (docs/operations.md: NODE_OPTIONS=--max-old-space-size).

export const NODE_FLAGS: readonly string[] = []
