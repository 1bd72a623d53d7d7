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

  it('has the section "Debugging and profiling" with the committed screenshot of the HTML timeline and a profile table', () => {
    const section = /\n## Debugging and profiling\n([\s\S]*?)\n## /.exec(readme)?.[1];
    assert.ok(section !== undefined, 'the section');
    const image = /!\[[^\]]+\]\((docs\/[^)]+\.png)\)/.exec(section)?.[1];
    assert.ok(image !== undefined, 'a PNG in the section');
    assert.equal(readFileSync(join(root, image)).subarray(1, 4).toString('latin1'), 'PNG');
    assert.match(section, /^Call +Count +Total ms +Mean us +Bytes +% wall$/m);
    assert.match(section, /^Top waiting call sites:$/m);
    for (const option of ['--trace', '--profile', '--watchdog', '--inspect-rank', '--cpu-prof', '--node-options']) assert.ok(section.includes(option), option);
  });

  it('says that mpi4ts is an ES module and what to do in a CommonJS project; has a LICENSE and a repository', () => {
    assert.match(readme, /mpi4ts is an ES module\./);
    assert.match(readme, /in such a project, set `"type": "module"` or name the scripts you run\s+with mpi4ts `\.mts`/);
    assert.match(readme, /`require\('mpi4ts'\)` load it on the\s+Node versions that can `require` an ES module/);
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      license: string; repository: { url: string }; exports: Record<string, Record<string, string>>;
    };
    // require() of every entry loads the ES module that import() loads (Node's require of ES modules).
    for (const [entry, conditions] of Object.entries(manifest.exports)) assert.equal(conditions['require'], conditions['import'], entry);
    assert.equal(manifest.license, 'MIT');
    assert.match(readFileSync(join(root, 'LICENSE'), 'utf8'), /^MIT License\n/);
    assert.match(manifest.repository.url, /^git\+https:\/\/github\.com\/.+\.git$/);
  });
});
