/**
 * The `mpi4ts` command: parses the command line and runs the job.
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import { launchedByMpi } from '../transport/mpi/detect.js';
import { USAGE, UsageError, parseCommandLine } from './cli.js';
import { runJob } from './job.js';
import { buildMpi, runUnderMpiexec } from './mpi.js';
import { runScript } from './script.js';

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

/** A closed pipe downstream (`mpi4ts ... | head`) is no reason to crash the job. */
function ignoreClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
}

/** Runs the launcher with `argv` (the arguments after the command's name). */
export async function main(argv: readonly string[]): Promise<void> {
  ignoreClosedPipes();
  let command;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`mpi4ts: ${error.message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  switch (command.kind) {
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return;
    case 'version':
      process.stdout.write(`${packageVersion()}\n`);
      return;
    case 'build-mpi':
      process.exitCode = await buildMpi(command.args);
      return;
    case 'run':
      if (launchedByMpi()) {
        // One rank of a job that mpiexec or srun started: run the script right here.
        await runScript(command.options);
      } else if (command.options.transport === 'mpi') {
        process.exitCode = await runUnderMpiexec(command.options);
      } else {
        process.exitCode = await runJob(command.options);
      }
  }
}
