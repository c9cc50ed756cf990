import {readFileSync} from 'node:fs';
import {join} from 'node:path';

/** Real server output captured by test/integration/tools/capture-fixtures.ts (Debian ZooKeeper 3.8.0). */
export function fixture(name: string): string {
  return readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
}
