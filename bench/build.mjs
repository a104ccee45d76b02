// `npm run bench:build`: benchmarks run compiled, as users deploy Logbook, not through tsx (whose
// keepNames transform gives every closure a property table: ~2 KiB more heap per live workflow). tsc
// writes src/ and bench/ to .bench-build/; the assets src/ reads by relative path are linked beside them.
import { execFileSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
execFileSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.bench.json')],
  {
    stdio: 'inherit',
  },
);
for (const asset of ['schemas', 'deploy']) {
  const link = join(root, '.bench-build', asset);
  if (!existsSync(link)) symlinkSync(join(root, asset), link);
}
