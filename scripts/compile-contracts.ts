// `npm run contracts`: compile contracts/*.sol and write lib/chain/artifacts.ts.
import fs from 'node:fs'
import { ARTIFACTS_FILE, compileContracts, renderArtifacts } from '../server/chain/compile'

const t0 = Date.now()
const result = compileContracts()
fs.writeFileSync(ARTIFACTS_FILE, renderArtifacts(result))
console.log(`compiled ${Object.keys(result.compiled).join(', ')} with solc ${result.version} in ${Date.now() - t0} ms -> ${ARTIFACTS_FILE}`)
