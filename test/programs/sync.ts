// mpi4ts/util/sync on any transport, as named cases (cases.ts): Sequential
// runs ranks in order, Counter hands out every value once, Mutex excludes
// (plain Get/Put read-modify-writes are not lost), recursive and non-blocking
// acquires, Condition wakes waiters in ticket order, Semaphore bounds how many
// ranks are inside at once, and `await using` frees and leaves.
import { MPI } from 'mpi4ts';
import { Condition, Counter, Mutex, Semaphore, Sequential } from 'mpi4ts/util/sync';
import { type Case, check, runCases, sleep } from '../conformance/cases.js';

const cases: Case[] = [
  {
    name: 'Sequential: ranks enter in rank order',
    run: async (comm) => {
      const order = await Counter.create({ comm });
      let mine = -1;
      for (let round = 0; round < 2; round++) {
        {
          await using section = await new Sequential(comm).begin();
          mine = await order.next();
          void section;
        }
        await comm.Barrier();
        check.equal(mine, round * comm.size + comm.rank);
      }
      // Two rounds: rank r took r in the first and size + r in the second.
      check.equal(mine, comm.size + comm.rank);
      await order.free();
    },
  },
  {
    name: 'Counter: start, step, next(incr), iteration; every value handed out once',
    run: async (comm) => {
      const { rank, size } = comm;
      await using counter = await Counter.create({ comm, start: 10, step: 2 });
      const taken: number[] = [];
      for await (const value of counter) {
        if (value >= 10 + 2 * 200) break;
        taken.push(value);
      }
      const all = (await comm.allgather(taken)).flat().sort((a, b) => a - b);
      check.deepEqual(all, Array.from({ length: 200 }, (_, i) => 10 + 2 * i));
      await comm.Barrier();
      if (rank === 0) await counter.next(1000);
      await comm.Barrier();
      // Each rank overshot once past the end (the value that ended its loop), then rank 0 added 1000.
      const now = await counter.next(0);
      check.equal(now, 10 + 2 * (200 + size) + 1000);
      const self = await Counter.create();
      check.equal(await self.next(), 0);
      check.equal(await self.next(5), 1);
      check.equal(await self.next(), 6);
      await self.free();
    },
  },
  {
    name: 'Mutex: exclusive read-modify-writes of plain Get and Put are never lost',
    run: async (comm) => {
      const { rank, size } = comm;
      const rounds = 25;
      await using mutex = await Mutex.create({ comm });
      const win = await MPI.Win.Allocate(rank === 0 ? 8 : 0, 8, null, comm);
      await win.Lock_all();
      const value = new Float64Array(1);
      for (let i = 0; i < rounds; i++) {
        await mutex.acquire();
        check.ok(mutex.locked());
        win.Get(value, 0);
        await win.Flush(0);
        if (i % 5 === 0) await sleep(1); // hold it a while: others queue
        win.Put(Float64Array.of(value[0]! + 1), 0);
        await win.Flush(0);
        await mutex.release();
      }
      check.ok(!mutex.locked());
      await comm.Barrier();
      win.Get(value, 0);
      await win.Flush(0);
      check.equal(value[0], rounds * size);
      await win.Unlock_all();
      await win.Free();
    },
  },
  {
    name: 'Mutex: recursive counts, non-blocking acquire fails while another rank holds it',
    run: async (comm) => {
      const { rank, size } = comm;
      const mutex = await Mutex.create({ comm, recursive: true });
      if (rank === 0) {
        await mutex.acquire();
        await mutex.acquire();
        check.equal(mutex.count(), 2);
      }
      await comm.Barrier();
      if (rank !== 0) check.equal(await mutex.acquire(false), false);
      else check.equal(mutex.count(), 2);
      await comm.Barrier();
      if (rank === 0) {
        await mutex.release();
        check.ok(mutex.locked());
        await mutex.release();
        check.ok(!mutex.locked());
      }
      await comm.Barrier();
      if (rank === size - 1) {
        check.equal(await mutex.acquire(false), true);
        await mutex.release();
      }
      const plain = await Mutex.create({ comm });
      await plain.acquire();
      let threw = false;
      try {
        await plain.acquire();
      } catch {
        threw = true;
      }
      check.ok(threw, 'a non-recursive mutex refuses a second acquire');
      await plain.release();
      await plain.free();
      await mutex.free();
    },
  },
  {
    name: 'Condition: waiters sleep until notified; notify(1) wakes one, notify_all the rest',
    minRanks: 2,
    run: async (comm) => {
      const { rank, size } = comm;
      await using cond = await Condition.create({ comm });
      const flags = await Counter.create({ comm });   // how many ranks are waiting
      const woken = await Counter.create({ comm });
      if (rank > 0) {
        await cond.acquire();
        await flags.next();
        await cond.wait();
        await woken.next();
        await cond.release();
      } else {
        while ((await flags.next(0)) < size - 1) await sleep(1);
        await cond.acquire();     // every waiter has released the mutex inside wait()
        await cond.notify(1);
        await cond.release();
        while ((await woken.next(0)) < 1) await sleep(1);
        check.equal(await woken.next(0), 1);
        await cond.acquire();
        await cond.notify_all();
        await cond.release();
      }
      await comm.Barrier();
      check.equal(await woken.next(0), size - 1);
      await flags.free();
      await woken.free();
    },
  },
  {
    name: 'Semaphore: at most `value` ranks inside at once; a bounded one refuses extra releases',
    run: async (comm) => {
      const { size } = comm;
      await using slots = await Semaphore.create({ comm, value: 2 });
      const inside = await Counter.create({ comm });
      let most = 0;
      for (let i = 0; i < 5; i++) {
        await slots.acquire();
        const before = await inside.next(1);
        most = Math.max(most, before + 1);
        await sleep(1);
        await inside.next(-1);
        await slots.release();
      }
      const peak = await comm.allreduce<number>(most, MPI.MAX);
      check.ok(peak >= 1 && peak <= 2, `peak ${peak} ranks inside`);
      if (size >= 3) check.ok(peak <= 2);
      await comm.Barrier();
      let threw = false;
      if (comm.rank === 0) {
        try {
          await slots.release();
        } catch {
          threw = true;
        }
        check.ok(threw, 'released beyond the initial value');
      } else {
        check.ok(!threw);
      }
      await comm.Barrier();
      await inside.free();
    },
  },
];

await runCases('sync', cases);
