// The API coverage script (`npm run api-coverage`): it runs on the built
// package, its counts add up, and every name it reports covered is really
// there on the `MPI` object (a class's static, prototype or instance member,
// or a module function or constant), while a name that is not is reported
// missing.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { MPI } from 'mpi4ts';
import { JOB_TIMEOUT_MS, root } from './helpers/launch.js';

const script = join(root, 'scripts', 'api-coverage.mjs');
const stubs = '/usr/lib/python3/dist-packages/mpi4py/MPI.pyi';

interface Report {
  methods: [number, number];
  constants: [number, number];
  groups: Record<string, { covered: string[]; missing: string[] }>;
}

function run(...args: string[]): string {
  return execFileSync(process.execPath, [script, ...args], { cwd: root, encoding: 'utf8', timeout: JOB_TIMEOUT_MS });
}

/** Some instance of a class of `MPI`, for members that only instances have. */
function instanceOf(cls: abstract new (...args: never[]) => unknown): unknown {
  if (cls === MPI.Comm || cls === MPI.Intracomm) return MPI.COMM_WORLD;
  if (cls === MPI.Status) return new MPI.Status();
  if (cls === MPI.Exception) {
    try {
      new MPI.Status().Get_count(null as never);
    } catch (error) {
      return error;
    }
  }
  for (const value of Object.values(MPI)) if (value instanceof cls) return value;
  return undefined;
}

function lookup(name: string): unknown {
  const [owner, member] = name.split('.') as [string, string];
  const table = MPI as unknown as Record<string, unknown>;
  if (owner === 'MPI') return table[member];
  const cls = table[owner] as ((abstract new (...args: never[]) => unknown) & Record<string, unknown>) | undefined;
  if (typeof cls !== 'function') return undefined;
  if (cls[member] !== undefined) return cls[member];
  const proto = cls.prototype as Record<string, unknown>;
  for (let p: object | null = proto; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(p, member);
    if (descriptor !== undefined) return descriptor.get ?? descriptor.value;
  }
  const sample = instanceOf(cls) as Record<string, unknown> | undefined;
  return sample?.[member];
}

describe('api-coverage script', () => {
  const report = JSON.parse(run('--json')) as Report;

  it('reports covered names that exist on MPI, and only those', () => {
    let covered = 0;
    for (const [group, { covered: names, missing }] of Object.entries(report.groups)) {
      for (const name of names) assert.notEqual(lookup(name), undefined, `${group}: ${name} reported covered`);
      for (const name of missing) assert.equal(lookup(name), undefined, `${group}: ${name} reported missing`);
      covered += names.length;
    }
    assert.equal(covered, report.methods[0] + report.constants[0]);
    assert.ok(report.groups['Comm']!.covered.includes('Comm.Send'));
    assert.ok(report.groups['constants']!.covered.includes('MPI.ANY_SOURCE'));
  });

  it('counts every name of the checked-in list once', () => {
    const list = readFileSync(join(root, 'scripts', 'mpi4py-api.txt'), 'utf8').split('\n').filter((s) => s.trim());
    assert.equal(new Set(list).size, list.length);
    assert.equal(report.methods[1] + report.constants[1], list.length);
    assert.ok(!list.some((name) => /\.(py2f|f2py|toint|fromint|handle|fromhandle)$|^Pickle\.|^memory\./.test(name)));
  });

  it('prints the per-class table and the missing names', () => {
    const text = run('--missing');
    assert.match(text, /^Comm\s+\d+ \/ \d+/m);
    assert.match(text, /^methods and functions: \d+ \/ \d+ \(\d+%\)$/m);
    assert.match(text, /^missing:$/m);
  });

  it('regenerates the same list from mpi4py stubs', { skip: !existsSync(stubs) && 'mpi4py stubs not installed' }, async () => {
    const list = readFileSync(join(root, 'scripts', 'mpi4py-api.txt'), 'utf8');
    const { namesOfStubs } = await import(pathToFileURL(script).href) as { namesOfStubs(text: string): string[] };
    assert.equal(namesOfStubs(readFileSync(stubs, 'utf8')).join('\n') + '\n', list);
  });
});
