// The README teaches with code, so its code must work: every ```ts block is
// byte for byte a file under examples/ (named by the `<!-- file: ... -->`
// comment just above it), each of those files type-checks under the strict
// options of tsconfig.json without a type assertion (`as`) and runs here with
// its output checked, and every file a shell block or a link names exists.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { type JobResult, launch, root } from './helpers/launch.js';

const TIMEOUT = 60_000;
const options = { timeout: TIMEOUT };

interface Block {
  lang: string;
  body: string;
  /** The file named by the comment just above the block, if any. */
  file: string | undefined;
  line: number;
}

/** The fenced code blocks of a markdown file. */
function blocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const found: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (open === null) continue;
    const start = i;
    let end = i + 1;
    while (end < lines.length && lines[end] !== '```') end++;
    assert.ok(end < lines.length, `unclosed code block at line ${start + 1}`);
    const marker = /^<!-- file: (\S+) -->$/.exec(lines[start - 1] ?? '');
    found.push({ lang: open[1]!, body: lines.slice(start + 1, end).join('\n') + '\n', file: marker?.[1], line: start + 1 });
    i = end;
  }
  return found;
}

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const tsBlocks = blocks(readme).filter((b) => b.lang === 'ts' || b.lang === 'typescript');
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const outputLines = (result: JobResult): string[] => result.stdout.split('\n').filter((l) => l !== '').sort();

function succeeded(result: JobResult): string[] {
  assert.equal(result.code, 0, `exit ${String(result.code)}: ${result.stderr}`);
  assert.equal(result.stderr, '');
  return outputLines(result);
}

/** How each README program runs, and what it must print. */
const programs: Record<string, { ranks: number; check: (result: JobResult) => void }> = {
  'examples/hello.ts': {
    ranks: 4,
    check: (r) => assert.deepEqual(succeeded(r).map((l) => l.replace(/ on .*/, '')), range(4).map((i) => `Hello from rank ${i} of 4`)),
  },
  'examples/readme/objects_vs_buffers.ts': {
    ranks: 2,
    check: (r) => assert.deepEqual(succeeded(r), ['{"name":"grid","step":3,"shape":[10,100]} 499.5']),
  },
  'examples/readme/p2p.ts': {
    ranks: 3,
    check: (r) => assert.deepEqual(succeeded(r), [
      '"hello from rank 1" from rank 1 with tag 101',
      '"hello from rank 2" from rank 2 with tag 102',
      '10 doubles from rank 1',
      '20 doubles from rank 2',
    ]),
  },
  'examples/readme/collectives.ts': {
    ranks: 4,
    check: (r) => assert.deepEqual(succeeded(r), ['{"config":{"steps":10},"gathered":[0,1,4,9],"total":14,"sums":[6,4]}']),
  },
  'examples/readme/surface.ts': {
    ranks: 2,
    check: (r) => assert.deepEqual(succeeded(r), [
      'rank 0: 3 ints from 1, total 6, "hello from 1", handler saw 6 (ERR_RANK 6), copy has {"owner":"demo"} and purpose=demo',
      'rank 1: 2 ints from 0, total 0, "hello from 0", handler saw 6 (ERR_RANK 6), copy has {"owner":"demo"} and purpose=demo',
    ]),
  },
  'examples/readme/datatypes.ts': {
    ranks: 4,
    check: (r) => assert.deepEqual(succeeded(r), [JSON.stringify({ rows: [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15],
      corner: [5, 6, 9, 10], packed: [0, 4, 8, 12], extent: 104, type: 'MPI_DOUBLE' })]),
  },
  'examples/io_subarray.ts': {
    ranks: 4,
    check: (r) => assert.deepEqual(succeeded(r), ['rank 0: read 48 doubles of a 6 x 8 field written by 4 ranks in 2 x 2 ' +
      'blocks of 3 x 4: the global array in row order']),
  },
  'examples/readme/nonblocking.ts': {
    ranks: 3,
    check: (r) => {
      let work = 0;
      for (let i = 1; i <= 1_000_000; i++) work += 1 / (i * i);
      assert.deepEqual(succeeded(r), range(3).map((rank) => {
        const left = (rank + 2) % 3;
        return `rank ${rank}: {"from":${left}}, [${left}, ${left}, ${left}, ${left}], work ${work.toFixed(6)}`;
      }));
    },
  },
  'examples/readme/ring_deadlock.ts': {
    ranks: 4,
    check: (r) => {
      assert.equal(r.signal, null, 'the launcher ended by itself');
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /deadlock: every rank is blocked/);
      for (const rank of range(4)) {
        assert.match(r.stderr, new RegExp(`rank ${rank}: blocked in Send\\(dest=${(rank + 1) % 4}, tag=0, 8000000 bytes\\)`));
      }
    },
  },
  'examples/readme/ring_fixed.ts': {
    ranks: 4,
    check: (r) => assert.deepEqual(succeeded(r), ['nonblocking', 'ordered', 'sendrecv']
      .flatMap((way) => range(4).map((rank) => `${way}: rank ${rank} got ${(rank + 3) % 4}`))),
  },
  'examples/readme/task_farm.ts': {
    ranks: 4,
    check: (r) => assert.deepEqual(succeeded(r), [JSON.stringify(range(20).map((i) => i * i))]),
  },
  'examples/readme/spawn.ts': {
    ranks: 1,
    check: (r) => assert.deepEqual(succeeded(r), ['parent got [10,11,12]']),
  },
  'examples/readme/client_server.ts': {
    ranks: 4,
    check: (r) => assert.deepEqual(succeeded(r), ['server got [10,20]']),
  },
  'examples/readme/rma.ts': {
    ranks: 4,
    check: (r) => assert.deepEqual(succeeded(r), ['squares [0,1,4,9], tickets [0,1,2,3]']),
  },
  'examples/readme/dynamic_window.ts': {
    ranks: 4,
    check: (r) => assert.deepEqual(succeeded(r), range(4).map((i) => `rank ${i}: slot of rank ${(i + 3) % 4} holds ${(i + 3) % 4}`)),
  },
  'examples/readme/futures.ts': {
    ranks: 1,
    check: (r) => assert.deepEqual(succeeded(r), ['fib(25) = 75025, squares [1,4,9,16]']),
  },
  'examples/readme/neighbors.ts': {
    ranks: 4,
    check: (r) => assert.deepEqual(succeeded(r), [
      'rank 0: halo [39, 10], hello from 3, sum 96',
      'rank 1: halo [9, 20], hello from 0, sum 96',
      'rank 2: halo [19, 30], hello from 1, sum 96',
      'rank 3: halo [29, 0], hello from 2, sum 96',
    ]),
  },
  'examples/readme/halo.ts': {
    ranks: 4,
    // A 2x2 grid: -1 where the neighbour is MPI.PROC_NULL, else the neighbour's rank.
    check: (r) => assert.deepEqual(succeeded(r), [
      'rank 0 at (0, 0): up -1, down 2, left -1, right 1',
      'rank 1 at (0, 1): up -1, down 3, left 0, right -1',
      'rank 2 at (1, 0): up 0, down -1, left -1, right 3',
      'rank 3 at (1, 1): up 1, down -1, left 2, right -1',
    ]),
  },
};

describe('README code blocks', () => {
  it('every ts block names its file, and is that file byte for byte', () => {
    assert.ok(tsBlocks.length >= 8, `only ${tsBlocks.length} ts blocks`);
    for (const block of tsBlocks) {
      assert.ok(block.file, `the ts block at README.md:${block.line} has no <!-- file: ... --> comment above it`);
      assert.ok(block.file.startsWith('examples/'), `README.md:${block.line}: ${block.file} is not under examples/`);
      const path = join(root, block.file);
      assert.ok(existsSync(path), `README.md:${block.line}: ${block.file} does not exist`);
      assert.equal(block.body, readFileSync(path, 'utf8'), `README.md:${block.line} differs from ${block.file}`);
    }
  });

  it('every file of examples/readme/ is a block of the README, and every block has a test', () => {
    const shown = new Set(tsBlocks.map((b) => b.file));
    for (const name of readdirSync(join(root, 'examples/readme'))) {
      assert.ok(shown.has(`examples/readme/${name}`), `examples/readme/${name} is not in README.md`);
    }
    assert.deepEqual([...shown].sort(), Object.keys(programs).sort());
  });

  it('every ts block type-checks against the built package, with no type assertion', () => {
    const config = ts.getParsedCommandLineOfConfigFile(join(root, 'test/tsconfig.json'), {}, {
      ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
    })!;
    const files = tsBlocks.map((b) => join(root, b.file!));
    const program = ts.createProgram(files, { ...config.options, noEmit: true });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.formatDiagnostic(d, {
      getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n',
    }));
    assert.deepEqual(problems, []);
    for (const file of files) {
      const visit = (node: ts.Node): void => {
        if (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) {
          const source = node.getSourceFile();
          const { line } = source.getLineAndCharacterOfPosition(node.getStart());
          assert.fail(`${source.fileName}:${line + 1}: a type assertion: ${node.getText()}`);
        }
        ts.forEachChild(node, visit);
      };
      visit(program.getSourceFile(file)!);
    }
  });

  it('every file a shell block names exists', () => {
    const shell = blocks(readme).filter((b) => b.lang === 'sh' || b.lang === 'bash');
    assert.ok(shell.some((b) => b.body.includes('npx mpi4ts -n 4 examples/hello.ts')));
    for (const block of shell) {
      for (const word of block.body.split(/\s+/)) {
        if (/^[\w.-]+\/[\w./-]+$/.test(word) || /\.(ts|js|mjs|md|csv)$/.test(word)) {
          assert.ok(existsSync(join(root, word)), `README.md:${block.line} names ${word}, which does not exist`);
        }
      }
    }
  });

  it('every local link of the READMEs leads to a file', () => {
    for (const [file, dir] of [['README.md', ''], ['examples/README.md', 'examples']] as const) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue; // a web address
        assert.ok(existsSync(join(root, dir, target!)), `${file} links to ${target!}, which does not exist`);
      }
    }
  });

  it('examples/README.md lists every example with its command', () => {
    const text = readFileSync(join(root, 'examples/README.md'), 'utf8');
    const scripts = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts') && f !== 'worker_spawn.ts');
    for (const script of scripts) {
      assert.match(text, new RegExp(`npx mpi4ts -n \\d+ examples/${script.replace('.', '\\.')}`), `${script} has no command`);
    }
  });
});

describe('README programs run', () => {
  for (const [file, program] of Object.entries(programs)) {
    it(`${file} with ${program.ranks} rank${program.ranks === 1 ? '' : 's'}`, options,
      async () => program.check(await launch(file, program.ranks, [], { timeoutMs: TIMEOUT })));
  }
});
