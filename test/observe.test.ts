// --trace and --profile on the shm transport (the same checks on mpi: test/mpi/observe.test.ts),
// and the matching of messages into flows, on made-up parts.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { type Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { UsageError, parseCommandLine } from '../src/launcher/cli.js';
import { oversubscriptionWarning } from '../src/launcher/main.js';
import type { MessageRecord, RankPart } from '../src/observe/events.js';
import { formatProfile, profileOf } from '../src/observe/profile.js';
import { rollCallEntry, watchdogFires } from '../src/observe/state.js';
import { userFramesFirst } from '../src/observe/frames.js';
import { buildTrace, matchMessages } from '../src/observe/trace.js';
import { JOB_TIMEOUT_MS, launch, root } from './helpers/launch.js';
import { checkRingTrace, checkRollCall, expectedCalls, flows, profileCounts, readTrace } from './helpers/observe.js';

const dir = mkdtempSync(join(tmpdir(), 'mpi4ts-observe-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('--trace and --profile on shm', () => {
  it('traces examples/ring4.ts: 4 rank tracks and a flow from each send to its receive', async () => {
    const file = join(dir, 'ring.json');
    const result = await launch('examples/ring4.ts', 4, ['100'], { launcherArgs: ['--trace', file] });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /trace of 4 ranks written to/);
    checkRingTrace(readTrace(file));
  });

  it('counts in the profile the calls the program made, with their call sites', async () => {
    const file = join(dir, 'calls.json');
    const result = await launch('test/programs/observe_calls.ts', 3, [], { launcherArgs: ['--profile', '--trace', file] });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(profileCounts(result.stderr), expectedCalls(3));
    assert.match(result.stderr, /^Rank +MPI ms +Wall ms +% wall$/m);
    assert.match(result.stderr, /^Comm\.Barrier at test\/programs\/observe_calls\.ts:8 +9 /m);
    assert.match(result.stderr, /^Comm\.Send at test\/programs\/observe_calls\.ts:10 +1 /m);
    // Rank 0's two Sends to rank 1 (8 and 12 bytes, the second received with wildcards) and the ring of Isends.
    assert.deepEqual(flows(readTrace(file)), [[0, 1, 5, 8], [0, 1, 5, 12], [0, 1, 9, 32], [1, 2, 9, 32], [2, 0, 9, 32]]);
  });

  it('keeps every call and message of a long run (more than a rank holds in memory before it spills to its file)', async () => {
    const file = join(dir, 'many.json');
    const result = await launch('test/programs/observe_many.ts', 2, ['5000'], { launcherArgs: ['--profile', '--trace', file] });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(profileCounts(result.stderr), new Map([['Comm.Recv', 10_000], ['Comm.Send', 10_000]]));
    const trace = readTrace(file);
    const tracks = new Map(trace.traceEvents.filter((e) => e.name === 'thread_name').map((e) => [e.tid, e.args?.name]));
    const starts = trace.traceEvents.filter((e) => e.ph === 's');
    const ends = new Map(trace.traceEvents.filter((e) => e.ph === 'f').map((e) => [e.id, e]));
    assert.equal(starts.length, 10_000);
    assert.equal(ends.size, 10_000);
    for (const start of starts) assert.notEqual(tracks.get(start.tid), tracks.get(ends.get(start.id)!.tid));
  });

  it('--watchdog names a rank stuck computing (with its live stack) and the ranks waiting for it in Recv; the job goes on', async () => {
    const result = await launch('test/programs/observe_stuck.ts', 4, ['6'], { launcherArgs: ['--watchdog', '1'], timeoutMs: 90_000 });
    assert.equal(result.code, 0, result.stderr);
    checkRollCall(result.stderr);
    assert.match(result.stderr, /rank 0: not in an MPI call .*\n +at computeForever \(test\/programs\/observe_stuck\.ts:11\)\n +at test\/programs\/observe_stuck\.ts:16/);
    // One roll-call per stall: rank 0's loop is named once (a loaded machine may stall again as the job ends).
    const rollCalls = result.stderr.split(/(?=mpi4ts: watchdog:)/).filter((text) => text.startsWith('mpi4ts: watchdog:'));
    assert.equal(rollCalls.filter((text) => text.includes('at computeForever')).length, 1, 'one roll-call per stall');
  });

  it('--watchdog-any fires when one rank has been in one call for the time given', async () => {
    const result = await launch('test/programs/observe_stuck.ts', 2, ['4'], { launcherArgs: ['--watchdog', '1', '--watchdog-any'], timeoutMs: 90_000 });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^mpi4ts: watchdog: a rank has been in one MPI call for 1 s\n/m);
    assert.match(result.stderr, /rank 1: in Comm\.Recv\(source=0, tag=4, comm=MPI_COMM_WORLD\) for \d+\.\d s\n +at test\/programs\/observe_stuck\.ts:19/);
  });

  it('--watchdog-abort ends the job after the roll-call, with the deadlock exit code', async () => {
    // Rank 0 would compute for 10 minutes: only the abort ends the job in time. 4 s leaves a
    // loaded machine the time to start both ranks before the first roll-call.
    const result = await launch('test/programs/observe_stuck.ts', 2, ['600'], {
      launcherArgs: ['--watchdog', '4', '--watchdog-abort'],
    });
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /rank 0: not in an MPI call .*\n +at computeForever \(test\/programs\/observe_stuck\.ts:11\)/);
    assert.match(result.stderr, /rank 1: in Comm\.Recv\(source=0, tag=4/);
    assert.match(result.stderr, /mpi4ts: watchdog: ending the job \(--watchdog-abort\)/);
  });

  it('--watchdog adds the user\'s frames to a deadlock report', async () => {
    const result = await launch('examples/ring1.ts', 2, [], { launcherArgs: ['--watchdog', '30'] });
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /rank 0: blocked in Send\(dest=1, tag=0, 8000000 bytes\).*\n +at examples\/ring1\.ts:26\n/);
  });

  it('takes --trace FILE.json and --profile, and refuses other trace file names', () => {
    const command = parseCommandLine(['--trace', 't.json', '--profile', '-n', '2', 'x.ts']);
    assert.equal(command.kind, 'run');
    if (command.kind === 'run') {
      assert.equal(command.options.trace, 't.json');
      assert.equal(command.options.profile, true);
    }
    assert.throws(() => parseCommandLine(['--trace', 't.txt', 'x.ts']), (e: unknown) => e instanceof UsageError && /\.json/.test(e.message));
    const watch = parseCommandLine(['--watchdog', '2.5', '--watchdog-any', '--watchdog-abort', 'x.ts']);
    assert.deepEqual(watch.kind === 'run' ? watch.options.watchdog : undefined, { seconds: 2.5, any: true, abort: true });
    assert.throws(() => parseCommandLine(['--watchdog-abort', 'x.ts']), /need --watchdog SECONDS/);
    assert.throws(() => parseCommandLine(['--watchdog', '0', 'x.ts']), /positive number of seconds/);
  });
});

const message = (comm: string, peer: number, tag: number, order: number, at: number, bytes = 1): MessageRecord =>
  ({ comm, peer, tag, bytes, order, at });
const part = (rank: number, sends: MessageRecord[], receives: MessageRecord[]): RankPart =>
  ({ rank, label: `rank ${rank}`, start: 0, end: 100, calls: [], sends, receives });

/** Waits until `ready()` holds, looking every 10 ms; throws `failure()` after `ms`. */
async function until(ready: () => boolean, ms: number, failure: () => string): Promise<void> {
  for (const deadline = Date.now() + ms; !ready();) {
    if (Date.now() > deadline) throw new Error(failure());
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * What a debugger does on attaching to a rank that `--inspect-brk-rank` holds: over a WebSocket
 * (a bare client: one handshake, masked text frames), the inspector protocol's
 * `Runtime.runIfWaitingForDebugger`. Sent again every half second until the inspector answers: a
 * worker thread's inspector can miss the first message that follows the handshake (seen here about
 * once in 50 runs, Node 20; the rank then waits for ever). Returns the open connection.
 */
async function runIfWaitingForDebugger(address: string, failure: () => string): Promise<Socket> {
  const { hostname, port, pathname } = new URL(address);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  socket.write(`GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  const [handshake] = await once(socket, 'data') as [Buffer];
  assert.match(handshake.toString('latin1'), /^HTTP\/1\.1 101/);
  let answered = false;
  socket.once('data', () => { answered = true; });
  let id = 0;
  const send = (): void => {
    const payload = Buffer.from(JSON.stringify({ id: ++id, method: 'Runtime.runIfWaitingForDebugger' }));
    const mask = randomBytes(4);
    // A client's frame: FIN + text, masked, a length under 126 in the second byte.
    socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload.map((byte, i) => byte ^ mask[i % 4]!)]));
  };
  send();
  const resend = setInterval(send, 500);
  try {
    await until(() => answered, 30_000, () => `the inspector did not answer ${id} requests\n${failure()}`);
  } finally {
    clearInterval(resend);
  }
  return socket;
}

describe('debugging and profiling a rank on shm', () => {
  it('--inspect-rank 1 opens the inspector on rank 1 alone and prints its URL', async () => {
    const result = await launch('examples/hello.ts', 2, [], { launcherArgs: ['--inspect-rank', '1'] });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /mpi4ts: rank 1: inspector listening on ws:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+\n/);
    assert.doesNotMatch(result.stderr, /rank 0: inspector/);
    assert.throws(() => parseCommandLine(['-n', '2', '--inspect-rank', '2', 'x.ts']), /the job has ranks 0 to 1/);
  });

  it('--inspect-brk-rank 1 holds rank 1 before its script until a debugger attaches', async () => {
    const child = spawn(process.execPath, [join(root, 'bin/mpi4ts.js'), '-n', '2', '--inspect-brk-rank', '1', 'examples/hello.ts'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk; });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk; });
    let exit: number | string | undefined;
    child.on('exit', (code, signal) => { exit = code ?? signal ?? undefined; });
    const seen = (): string => `exit: ${exit}\nstdout:\n${stdout}\nstderr:\n${stderr}`;
    try {
      const address = (): string | undefined => /rank 1: inspector listening on (ws:\/\/\S+)/.exec(stderr)?.[1];
      await until(() => exit !== undefined || (address() !== undefined && /rank 1: waiting for a debugger to attach/.test(stderr)),
        30_000, () => `rank 1 did not wait for a debugger\n${seen()}`);
      assert.equal(exit, undefined, `the job ended before rank 1 waited for a debugger\n${seen()}`);
      // Rank 0 runs on: once it has said hello, a rank 1 that did not wait would have too.
      await until(() => /Hello from rank 0 of 2/.test(stdout), 30_000, () => `rank 0 did not run its script\n${seen()}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.doesNotMatch(stdout, /rank 1/, 'rank 1 ran its script before a debugger attached');
      const debuggerSocket = await runIfWaitingForDebugger(address()!, seen);
      await until(() => /Hello from rank 1 of 2/.test(stdout), 30_000, () => `rank 1 did not run its script\n${seen()}`);
      // A worker whose debugger is still attached waits for it to leave before it ends; the rank says so.
      await until(() => /rank 1: its script has ended; a debugger still attached holds the rank/.test(stderr), 30_000,
        () => `rank 1 did not say that its script ended\n${seen()}`);
      assert.equal(exit, undefined, `the job ended with the debugger attached\n${seen()}`);
      debuggerSocket.end();
      await until(() => exit !== undefined, 30_000, () => `the job did not end after the debugger left\n${seen()}`);
      assert.equal(exit, 0, seen());
      assert.doesNotMatch(stderr, /rank 0: inspector/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('--cpu-prof writes one profile per rank, named by rank; --node-options reaches the ranks', () => {
    const cwd = mkdtempSync(join(dir, 'cpu-'));
    const result = spawnSync(process.execPath, [join(root, 'bin/mpi4ts.js'), '-n', '2', '--cpu-prof', '--node-options', '--expose-gc --no-warnings',
      join(root, 'test/programs/node_flags.ts')], { cwd, encoding: 'utf8', timeout: JOB_TIMEOUT_MS });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.stdout.split('\n').filter((l) => l !== '').sort(),
      ['rank 0: gc function, no-warnings true', 'rank 1: gc function, no-warnings true']);
    assert.deepEqual(readdirSync(cwd).sort(), ['rank-0.cpuprofile', 'rank-1.cpuprofile']);
    const profile = JSON.parse(readFileSync(join(cwd, 'rank-1.cpuprofile'), 'utf8')) as { nodes: unknown[]; startTime: number };
    assert.ok(profile.nodes.length > 0 && profile.startTime > 0);
  });
});

describe('launcher messages', () => {
  it('reports a missing script, or a directory given as one, once, before any rank starts', async () => {
    const result = await launch('test/programs/no_such_script.ts', 3);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, `mpi4ts: cannot find the script test/programs/no_such_script.ts (looked for ${join(root, 'test/programs/no_such_script.ts')})\n`);
    const directory = await launch('test/programs', 2);
    assert.equal(directory.code, 2);
    assert.equal(directory.stderr, `mpi4ts: test/programs is a directory, not a script (${join(root, 'test/programs')})\n`);
  });

  it('shows a failing rank\'s own frames first, and counts the frames of mpi4ts and Node it leaves out', async () => {
    const thrown = await launch('test/programs/failure/main.ts', 2);
    assert.equal(thrown.code, 1, thrown.stderr);
    assert.match(thrown.stderr, new RegExp('^mpi4ts: rank 1 failed: MPIError: rank 1: Comm\\.Send: invalid dest 7: .*\n' +
      ' {4}at sendToNowhere \\(.*test/programs/failure/main\\.ts:10:\\d+\\)\n {4}at withRetries \\(.*test/programs/failure/helper\\.ts:3:\\d+\\)\n' +
      ' {4}at .*test/programs/failure/main\\.ts:17:\\d+\\)?\n {4}\\(\\d+ frames of mpi4ts( and \\d+ frames? of Node\'s internals)? left out\\)\n' +
      'mpi4ts: stopping the job \\(2 ranks\\) because rank 1 failed\n$'), thrown.stderr);
    const rejected = await launch('test/programs/failure/main.ts', 2, ['reject']);
    assert.equal(rejected.code, 1, rejected.stderr);
    assert.match(rejected.stderr, /^mpi4ts: rank 0 failed: RangeError: rejected on purpose\n {4}at .*test\/programs\/failure\/main\.ts:15:\d+\)?\n/);
    for (const text of [thrown.stderr, rejected.stderr]) assert.doesNotMatch(text, /dist\/|node:internal|\/src\//);
  });

  it('puts the user\'s frames first in any stack, and leaves a stack without one whole', () => {
    const library = join(root, 'dist/api/comm.js');
    const stack = ['Error: boom', `    at Comm.Send (file://${library}:10:5)`, '    at main (/home/me/job.ts:3:9)',
      '    at ModuleJob.run (node:internal/modules/esm/module_job:325:25)', '    at helper (/home/me/node_modules/pkg/x.js:1:1)'].join('\n');
    assert.equal(userFramesFirst(stack), ['Error: boom', '    at main (/home/me/job.ts:3:9)', '    at helper (/home/me/node_modules/pkg/x.js:1:1)',
      "    (1 frame of mpi4ts and 1 frame of Node's internals left out)"].join('\n'));
    const internal = `Error: inside\n    at Comm.Send (file://${library}:10:5)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`;
    assert.equal(userFramesFirst(internal), internal);
  });

  it('warns of more than 4 ranks per core only past 16 ranks', () => {
    assert.equal(oversubscriptionWarning(8, 2), undefined);
    assert.equal(oversubscriptionWarning(16, 1), undefined);
    assert.match(oversubscriptionWarning(17, 2) ?? '', /^mpi4ts: warning: 17 ranks on 2 cores/);
    assert.equal(oversubscriptionWarning(64, 16), undefined);
  });
});

describe('matching messages after the run', () => {
  it('pairs the k-th send of a (communicator, source, destination, tag) with the k-th receive in posting order', () => {
    const parts = [
      part(0, [message('w', 1, 7, 1, 10, 1), message('w', 1, 7, 2, 11, 2), message('w', 1, 3, 3, 12, 3), message('c', 1, 7, 4, 13, 4)], []),
      // Rank 1 posts the tag-3 receive first, then two receives of tag 7 and one on communicator c.
      part(1, [], [message('c', 0, 7, 1, 20, 4), message('w', 0, 3, 2, 21, 3), message('w', 0, 7, 5, 23, 2), message('w', 0, 7, 4, 22, 1)]),
    ];
    const pairs = matchMessages(parts).map((f) => [f.send.bytes, f.receive.bytes]).sort((a, b) => a[0]! - b[0]!);
    assert.deepEqual(pairs, [[1, 1], [2, 2], [3, 3], [4, 4]]);
  });

  it('leaves a receive from a rank without a part, and a send never received, without a flow', () => {
    const parts = [part(0, [message('w', 1, 0, 1, 1)], []), part(1, [], [message('w', 5, 0, 1, 2)])];
    assert.deepEqual(matchMessages(parts), []);
    const trace = buildTrace(parts);
    assert.equal(trace.traceEvents.filter((e) => e.ph === 's' || e.ph === 'f').length, 0);
    assert.deepEqual(trace.traceEvents.filter((e) => e.name === 'thread_name').map((e) => e.args?.name), ['rank 0', 'rank 1']);
  });

  it('fires the watchdog when no rank has ended a call for the time given, or with --watchdog-any when one rank has been in one call that long', () => {
    const computing = { call: undefined, since: 0, lastEnded: 9_000, frames: [] };
    const waiting = { call: 'Comm.Recv(source=0)', since: 7_000, lastEnded: 6_000, frames: [] };
    const moving = { call: undefined, since: 0, lastEnded: 9_900, frames: [] };
    const idle = { call: undefined, since: 0, lastEnded: 0, frames: [] };
    const plain = { seconds: 2, any: false, abort: false };
    const any = { ...plain, any: true };
    assert.equal(watchdogFires([computing, waiting], 10_000, plain), false, 'a call ended 1 s ago');
    assert.equal(watchdogFires([computing, waiting], 11_000, plain), true, 'no call ended for 2 s');
    assert.equal(watchdogFires([waiting, moving], 9_000, any), true, 'one rank in one call for 2 s');
    assert.equal(watchdogFires([waiting, moving], 8_999, any), false);
    assert.equal(watchdogFires([waiting, moving], 10_000, plain), false, 'another rank ended a call 0.1 s ago');
    assert.equal(watchdogFires([idle, idle], 1e12, plain), false, 'no rank has started');
  });

  it('says of a rank that has made no MPI call yet that it has made none (not a time since the epoch)', () => {
    assert.equal(rollCallEntry('rank 0', { call: undefined, since: 0, lastEnded: 0, frames: [] }, 5000),
      '  rank 0: not in an MPI call (it has made none yet: still starting, or running JavaScript)');
    assert.equal(rollCallEntry('rank 1', { call: undefined, since: 0, lastEnded: 1000, frames: [] }, 3500),
      '  rank 1: not in an MPI call (running JavaScript for 2.5 s since its last call ended)');
  });

  it('weighs sampled call sites: a site recorded with weight 32 stands for 32 calls', () => {
    const calls = [
      { name: 'Comm.Recv', start: 0, end: 2, site: 'a.ts:1' }, { name: 'Comm.Recv', start: 10, end: 13, site: 'a.ts:2', weight: 32 },
      { name: 'Comm.Recv', start: 20, end: 21 },
    ];
    const profile = profileOf([{ ...part(0, [], []), calls }]);
    assert.deepEqual(profile.calls.map((c) => [c.name, c.count, c.time]), [['Comm.Recv', 3, 6]]);
    assert.deepEqual(profile.sites.map((c) => [c.name, c.count, c.time]), [['Comm.Recv at a.ts:2', 32, 96], ['Comm.Recv at a.ts:1', 1, 2]]);
    assert.equal(profile.sampled, true);
    assert.match(formatProfile(profile), /^Top waiting call sites \(estimated: past its first 100 calls, one call of a kind in 64 records its site\):$/m);
  });

  it('adds up a profile per call, per rank and per site', () => {
    const calls = [
      { name: 'Comm.Send', start: 0, end: 10, bytes: 8, site: 'a.ts:1' }, { name: 'Comm.Send', start: 20, end: 40, bytes: 8, site: 'a.ts:1' },
      { name: 'Comm.Barrier', start: 50, end: 55 },
    ];
    const profile = profileOf([{ ...part(0, [], []), calls }, { ...part(1, [], []), calls: calls.slice(2) }]);
    assert.deepEqual(profile.calls.map((c) => [c.name, c.count, c.time, c.bytes]), [['Comm.Send', 2, 30, 16], ['Comm.Barrier', 2, 10, 0]]);
    assert.deepEqual(profile.perRank.map((r) => [r.label, r.mpi, r.wall]), [['rank 0', 35, 100], ['rank 1', 5, 100]]);
    assert.match(formatProfile(profile), /^Comm\.Send at a\.ts:1 +2 +0\.030 +15\.0$/m);
  });
});
