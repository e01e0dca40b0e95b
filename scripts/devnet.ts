// The devnet launcher as a script: `p2pnode devnet` (packages/cli/src/commands/devnet.ts) with the
// same flags. `npm start` runs the command itself: node packages/cli/bin/p2pnode.js devnet.
//
//   node --conditions=p2pnode-source --import tsx scripts/devnet.ts --validators 7 --followers 2 --dir /tmp/net --blocks 20

import { main } from '../packages/cli/src/index.ts'

process.exitCode = await main([process.argv[0]!, 'p2pnode', 'devnet', ...process.argv.slice(2)])
