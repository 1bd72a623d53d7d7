/**
 * MPI-4 sessions: a library's way to its own groups without `COMM_WORLD`.
 *
 * MPI-4.1 §11.3 (the Sessions Model: `MPI_Session_init`,
 * `MPI_Session_finalize`, `MPI_Session_get_num_psets`,
 * `MPI_Session_get_nth_pset`, `MPI_Session_get_pset_info`,
 * `MPI_Session_get_info`, `MPI_Group_from_session_pset`), §11.3.2 (the
 * process sets `mpi://WORLD` and `mpi://SELF`).
 *
 * A session here is a handle over the job mpi4ts already runs: its process
 * sets are `mpi://WORLD` (every rank of the job) and `mpi://SELF`, and
 * `Create_group` gives their groups; a communicator comes from such a group
 * with `Intracomm.Create_from_group` where available, or from
 * `MPI.COMM_WORLD.Create_group`.
 *
 * Unfinished: no process sets beyond the two of the standard; the session's
 * error handler is not applied to any call.
 *
 * @module
 */

import { transport } from '../environment.js';
import { errors } from '../errors.js';
import { ERRORS_RETURN, Errhandler } from './errhandler.js';
import { Group } from './group.js';
import { hintsFrom, Info } from './info.js';

const PSETS = ['mpi://WORLD', 'mpi://SELF'] as const;

/**
 * An MPI session (MPI-4.1 §11.3).
 *
 * @example
 * ```ts
 * const session = MPI.Session.Init();
 * const group = session.Create_group('mpi://WORLD');
 * group.Get_size(); // the number of ranks
 * session.Finalize();
 * ```
 */
export class Session {
  private finalized = false;

  private constructor(private readonly info: Info, private readonly errhandler: Errhandler) {}

  /** `MPI_Session_init` (MPI-4.1 §11.3.1): a new session; `info` hints are kept, `errhandler` recorded. */
  static Init(info?: Info, errhandler: Errhandler = ERRORS_RETURN): Session {
    const hints = info === undefined ? Info.Create() : hintsFrom(info, 'Session.Init');
    if (!(errhandler instanceof Errhandler)) throw errors.arg('Session.Init', `invalid error handler ${String(errhandler)}`);
    transport();
    return new Session(hints, errhandler);
  }

  private live(call: string): void {
    if (this.finalized) throw errors.arg(call, 'the session has been finalized');
  }

  /** `MPI_Session_finalize` (MPI-4.1 §11.3.1): later calls on it throw `ERR_ARG`. */
  Finalize(): void {
    this.live('Session.Finalize');
    this.finalized = true;
  }

  /** `MPI_Session_get_num_psets` (MPI-4.1 §11.3.2): 2 (`mpi://WORLD`, `mpi://SELF`). */
  Get_num_psets(_info?: Info): number {
    this.live('Session.Get_num_psets');
    return PSETS.length;
  }

  /** `MPI_Session_get_nth_pset` (MPI-4.1 §11.3.2): the name of process set `n`. */
  Get_nth_pset(n: number, _info?: Info): string {
    this.live('Session.Get_nth_pset');
    if (!Number.isInteger(n) || n < 0 || n >= PSETS.length) {
      throw errors.arg('Session.Get_nth_pset', `invalid index ${String(n)}: must be an integer in [0, ${PSETS.length})`);
    }
    return PSETS[n]!;
  }

  /** `MPI_Session_get_pset_info` (MPI-4.1 §11.3.2): `mpi_size` of the process set. */
  Get_pset_info(pset: string): Info {
    this.live('Session.Get_pset_info');
    return Info.Create({ mpi_size: String(this.membersOf(pset, 'Session.Get_pset_info').length) });
  }

  /** `MPI_Session_get_info` (MPI-4.1 §11.3.1): the hints the session was made with, and its thread level. */
  Get_info(): Info {
    this.live('Session.Get_info');
    const info = this.info.Dup();
    info.Set('thread_level', 'MPI_THREAD_SINGLE');
    return info;
  }

  /** The session's error handler (`MPI_Session_get_errhandler`, MPI-4.1 §9.3). */
  Get_errhandler(): Errhandler {
    return this.errhandler;
  }

  /** `MPI_Group_from_session_pset` (MPI-4.1 §11.3.2): the group of a process set. */
  Create_group(pset: string): Group {
    this.live('Session.Create_group');
    const t = transport();
    return new Group(this.membersOf(pset, 'Session.Create_group'), t.world.worldRankOf(t.world.rank));
  }

  private membersOf(pset: string, call: string): number[] {
    const world = transport().world;
    if (pset === 'mpi://WORLD') return Array.from({ length: world.size }, (_, r) => world.worldRankOf(r));
    if (pset === 'mpi://SELF') return [world.worldRankOf(world.rank)];
    throw errors.arg(call, `unknown process set ${JSON.stringify(pset)}: this job has ${PSETS.join(' and ')}`);
  }
}
