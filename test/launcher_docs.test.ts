// The README lists every option of the launcher and every MPI4TS_* environment variable that the
// code reads: a new one without a line in the README fails here.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { USAGE } from '../src/launcher/cli.js';
import { root } from './helpers/launch.js';

const readme = readFileSync(join(root, 'README.md'), 'utf8');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : /\.(ts|js|mjs|cjs)$/.test(name) ? [path] : [];
  });
}

/** Whether `text` has `word` as a word of its own (not inside a longer option or name). */
const hasWord = (text: string, word: string): boolean =>
  new RegExp(`(^|[\\s,(/\`|])${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=[\\s,=)\`|]|$)`, 'm').test(text);

describe('the README documents the launcher', () => {
  it('lists every MPI4TS_* variable that src/, bin/ and scripts/ read, in one of its tables', () => {
    const names = new Set<string>();
    for (const file of ['src', 'bin', 'scripts'].flatMap((dir) => filesUnder(join(root, dir)))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/MPI4TS_[A-Z0-9_]*[A-Z0-9]/g)) names.add(match[0]);
    }
    assert.ok(names.has('MPI4TS_TS_CACHE') && names.has('MPI4TS_CLOCK_SYNC') && names.has('MPI4TS_TEST_MAX_CALL_BYTES'), [...names].join(' '));
    const tableRows = readme.split('\n').filter((line) => line.startsWith('| `MPI4TS_')).join('\n');
    const missing = [...names].filter((name) => !hasWord(tableRows, name));
    assert.deepEqual(missing, [], `not in the README's tables of environment variables: ${missing.join(', ')}`);
  });

  it('lists every option of the command line, in mpi4ts --help and in the README\'s option block', () => {
    const source = readFileSync(join(root, 'src/launcher/cli.ts'), 'utf8');
    const options = [...new Set([...source.matchAll(/case '(-[-a-z]+)'/g)].map((m) => m[1]!))];
    assert.ok(options.includes('--trace') && options.includes('--universe-size') && options.length > 20, options.join(' '));
    const block = /```\nnpx mpi4ts \[options\][^\n]*\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(block !== undefined, 'the README\'s option block');
    assert.deepEqual(options.filter((option) => !hasWord(block, option)), [], 'options missing from the README');
    assert.deepEqual(options.filter((option) => !hasWord(USAGE, option)), [], 'options missing from mpi4ts --help');
  });
});
