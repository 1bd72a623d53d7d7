// What test/programs/futures/pool.ts must print, on either transport.
import assert from 'node:assert/strict';

export const poolExpected: Record<string, unknown> = {
  'numWorkers before bootup': 2,
  numWorkers: 2,
  submit: [49, 5, 6765],
  'async task': 'ABC',
  initializer: 'hello world',
  'map chunksize 1 in order': true,
  'map chunksize 7 in order': true,
  'map chunksize 100 in order': true,
  'map chunksize 5000 in order': true,
  starmap: [3, 7, 11],
  'starmap chunksize 2': [3, 7, 11],
  'unordered: a fast task comes first': true,
  'unordered: every result': [0, 1, 2, 3],
  'map of nothing': [],
  'error class and message': 'ParityError: odd input 3',
  'error stack from the worker': true,
  'standard error class': 'TypeError: wrong type here',
  'TypeError instance': true,
  'error properties': ['no such file', 'ENOENT', -2, '/nowhere', 'gone'],
  'thrown non-Error': ['not an Error', 'not an Error'],
  'error in a map': 'ParityError: odd input 5',
  'error in a chunk': 'ParityError: odd input 5',
  'pool still works': 144,
  'mixed batch': [49, 5, 'ParityError', 64, 'MPIError', 'hello x', 'MPIError', 'TypeError', 9, 81],
  'done while running': false,
  'result timeout': 'TimeoutError: Future.result: not done after 0.01 s',
  'result after': 5,
  'done after, callback called': [true, 1],
  'wait FIRST_COMPLETED': [true, true],
  'wait ALL_COMPLETED': [2, 0],
  as_completed: [2, 1],
  'as_completed yields done Futures': true,
  'as_completed error': ['TypeError: wrong type here', '3'],
  'as_completed timeout': 'TimeoutError: as_completed: 1 of 1 futures not done after 0.05 s',
  'map timeout': 'TimeoutError: MPIPoolExecutor.starmap: not done after 0.05 s',
  '20000 submits': true,
  'shutdown waits for pending': [0, 1, 2, 3, 4, 5],
  'submit after shutdown': 'Error: MPIPoolExecutor.submit: cannot submit after shutdown',
  'cancel queued': [true, true, true],
  'cancelled result': 'CancelledError: the future was cancelled',
  'cancel running': [true, false],
  'CancelledError class': true,
  'TimeoutError class': true,
  'cancelFutures: running one finishes': 1,
  'await using': 81,
  end: 'ok',
};

/** What test/programs/futures/util_pool.ts must print, on either transport. */
export const utilPoolExpected = [
  'apply: 5', 'initializer: pool ranks', 'apply_async: 81 ready true successful true callback 81',
  'apply_async error: successful false error_callback "odd input 3"', 'map: [1,4,9,16,25]', 'starmap: [2,4,6]',
  'imap: [36,49,64]', 'imap_unordered: [36,49,64]', 'after close: Pool.apply_async: the pool is closed', 'joined', '',
].join('\n');

/** Parses the `name => json` lines of a program's output. */
export function parseShown(stdout: string): Map<string, unknown> {
  const shown = new Map<string, unknown>();
  for (const line of stdout.split('\n')) {
    const at = line.indexOf(' => ');
    if (at > 0) shown.set(line.slice(0, at), JSON.parse(line.slice(at + 4)));
  }
  return shown;
}

/** Checks pool.ts's output against {@link poolExpected}, and the checks whose values vary. */
export function checkPoolOutput(stdout: string): void {
  const shown = parseShown(stdout);
  for (const [name, value] of Object.entries(poolExpected)) assert.deepEqual(shown.get(name), value, name);
  assert.match(shown.get('unsendable result') as string, /^MPIError: .*cannot send value: a function cannot be serialized/);
  assert.match(shown.get('unknown task') as string, /^TypeError: file:.*tasks\.ts has no exported function "nope"$/);
  // One to three of the six were sent before the shutdown (the one worker holds up to three long tasks); the
  // others were cancelled.
  assert.ok((shown.get('cancelFutures: queued ones cancelled') as number) >= 3, stdout);
  // Two tasks per worker of an export not measured yet (two workers); if one had finished by the first look (a
  // loaded machine), the export was measured as long by then: at most three per worker.
  const [allRight, firstInFlight, firstMeasured, mostAtMostSix] =
    shown.get('long tasks after tiny ones') as [boolean, number, boolean, boolean];
  assert.ok(allRight && mostAtMostSix && (firstMeasured ? firstInFlight <= 6 : firstInFlight === 4),
    `long tasks after tiny ones: ${JSON.stringify([allRight, firstInFlight, firstMeasured, mostAtMostSix])}`);
}
