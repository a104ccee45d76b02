/**
 * Proves call identity (issue 6; call-origin.ts, call-matcher.ts): a body whose parallel branches each
 * make a ctx call, then await their own I/O (fs.promises, timers) for different times, then make calls
 * with the SAME name, is replayed from its journal with the I/O finishing in another order and still gives
 * every call its live callSeq, so each branch gets its own journaled result, no call is made anew and the
 * result is the same — also when the takeover happens at any point of the journal. Outcomes that reach the
 * run before the replayed body has re-made their call settle it when it is made, and behave as live.
 * The limit the design documents (call-origin.ts I1) is stated as it is: branches that await I/O before
 * their first ctx call share their parent's context, so their calls are matched in arrival order.
 * Randomised delays are seeded (LOGBOOK_TEST_SEED to repeat a run); the seed is printed. The live run's
 * order comes from its timers; a replay that must finish in another order gets it from the test (`inTurn`),
 * not from timers, which a loaded machine can fire in any order.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Intent } from '../../src/machine/index.js';
import { DeterministicRandom } from '../../src/replay/index.js';
import { TerminalError, workflow } from '../../src/workflow/index.js';
import { gate } from '../support/gate.js';
import { endingOf, Journal } from './run-journal.js';

const SEED = Number(process.env.LOGBOOK_TEST_SEED ?? Date.now() % 1_000_000_000);
console.log(`replay-identity.test.ts seed ${SEED} (set LOGBOOK_TEST_SEED=${SEED} to repeat)`);

const BRANCHES = ['a', 'b', 'c', 'd'] as const;

/** Distinct delays in 0..20 ms, at least 5 ms apart, so that reversing them reorders the branches. */
function delaysFor(random: DeterministicRandom): number[] {
  for (;;) {
    const delays = BRANCHES.map(() => Math.floor(random.next() * 21));
    const sorted = [...delays].sort((x, y) => x - y);
    if (sorted.every((d, i) => i === 0 || d - (sorted[i - 1] ?? 0) >= 5)) return delays;
  }
}

let dir = '';
let file = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logbook-replay-'));
  file = path.join(dir, 'catalog.txt');
  fs.writeFileSync(file, 'catalog v1\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What one branch of the fan-out returns. */
interface Branch {
  readonly branch: string;
  readonly loaded: string;
  readonly saved: string;
}

/** Before `save`, branch `i` awaits `wait(i)`: its own I/O, whose timing decides the order branches save in. */
type BranchWait = (i: number) => Promise<void>;

/** Branch `i` sleeps `delays[i]` ms. */
function sleeps(delays: readonly number[]): BranchWait {
  return (i) => new Promise((resolve) => setTimeout(resolve, delays[i]));
}

/** Branches pass one at a time in `order`; each opens the next a timer tick after its own turn. */
function inTurn(order: readonly string[]): BranchWait {
  const gates = new Map(order.map((branch) => [branch, gate()]));
  const open = (k: number) => gates.get(order[k] ?? '')?.open();
  open(0);
  return async (i) => {
    const branch = BRANCHES[i] ?? '';
    await new Promise((resolve) => setTimeout(resolve, 1)); // the branch's own I/O first
    await gates.get(branch)?.promise;
    setTimeout(() => open(order.indexOf(branch) + 1), 1);
  };
}

/** The fan-out body; `wait` is its own I/O timing, `saves` logs the order branches reach `save`. */
function fanOut(wait: BranchWait, saves: string[]) {
  return workflow('fan-out', async (ctx) => {
    const branches = await Promise.all(
      BRANCHES.map(async (branch, i) => {
        const loaded = await ctx.step('load', () => `loaded:${branch}`);
        const text = await fs.promises.readFile(file, 'utf8');
        await wait(i);
        saves.push(branch);
        const saved = await ctx.step('save', () => `saved:${branch}:${text.trim()}`);
        return { branch, loaded, saved };
      }),
    );
    const summary = await ctx.step('final', () => branches.map((b) => b.saved).join('|'));
    return { branches, summary };
  });
}

/** Which call got which callSeq: `load:a` … from the intents, the branch order and the save order. */
function identities(intents: readonly Intent[], saves: readonly string[]): Map<string, number> {
  const steps = intents.flatMap((i) => (i.type === 'step' ? [i] : []));
  const byName = (name: string) => steps.filter((s) => s.name === name).map((s) => s.callSeq);
  const ids = new Map<string, number>();
  for (const [i, callSeq] of byName('load').entries()) ids.set(`load:${BRANCHES[i]}`, callSeq);
  for (const [i, callSeq] of byName('save').entries()) ids.set(`save:${saves[i]}`, callSeq);
  for (const callSeq of byName('final')) ids.set('final', callSeq);
  return ids;
}

describe('replay identity: parallel branches with their own I/O (issue 6)', () => {
  it('a replay whose I/O finishes in another order gives every call its live callSeq and each branch its own result', async () => {
    const random = new DeterministicRandom(`fan-out/${SEED}`);
    for (let round = 0; round < 3; round++) {
      const delays = delaysFor(random);
      const why = `seed ${SEED}, round ${round}, live delays ${delays.join(',')}`;
      const liveSaves: string[] = [];
      const live = await Journal.live(fanOut(sleeps(delays), liveSaves));
      await live.settle(true);
      const result = endingOf(live.sink.intents);
      if (result?.type !== 'complete') throw new Error(`${why}: live ended ${JSON.stringify(result)}`);

      const replaySaves: string[] = [];
      const history = live.records.slice(0, -1); // every call journaled, the ending not yet
      const replay = await Journal.replay(fanOut(inTurn([...liveSaves].reverse()), replaySaves), history);
      await replay.settle(true);
      expect(replaySaves, `${why}: the replay's I/O must finish in another order`).not.toEqual(liveSaves);
      const liveIds = identities(live.sink.intents, liveSaves);
      expect(liveIds.size, why).toBe(2 * BRANCHES.length + 1);
      expect(identities(replay.sink.intents, replaySaves), why).toEqual(liveIds);
      expect(endingOf(replay.sink.intents), why).toEqual(result);
      const { branches } = result.result as unknown as { branches: readonly Branch[] };
      for (const b of branches)
        expect([b.loaded, b.saved], why).toEqual([`loaded:${b.branch}`, `saved:${b.branch}:catalog v1`]);
      // No call was made anew and no step started: the machine wrote only the same ending.
      expect(
        replay.since(history.length).map((r) => r.body),
        why,
      ).toEqual([live.records.at(-1)?.body]);
      expect(replay.attempts, why).toEqual([]);
    }
  });

  it('a takeover at any point of the journal resumes with reversed I/O timing to the same result', async () => {
    const delays = delaysFor(new DeterministicRandom(`takeover/${SEED}`));
    const live = await Journal.live(fanOut(sleeps(delays), []));
    await live.settle(true);
    const result = endingOf(live.sink.intents);
    for (let cut = 1; cut < live.records.length - 1; cut++) {
      const why = `seed ${SEED}, delays ${delays.join(',')}, cut after record ${cut}`;
      const j = await Journal.replay(fanOut(sleeps([...delays].reverse()), []), live.records.slice(0, cut));
      await j.settle(true);
      expect(endingOf(j.sink.intents), why).toEqual(result);
      const completed = j.records.filter((r) => r.body.kind === 'StepCompleted').map((r) => r.body);
      const seqs = completed.map((b) => ('callSeq' in b ? b.callSeq : -1));
      expect(new Set(seqs).size, why).toBe(seqs.length); // every step completed once
      expect(seqs.length, why).toBe(2 * BRANCHES.length + 1);
    }
  });
});

describe('replay identity: the documented limit (call-origin.ts I1)', () => {
  /** Two branches that await I/O before any ctx call, opened in `order`; returns its journal. */
  async function branchesFirstAwait(names: readonly string[], order: readonly number[], live?: Journal) {
    const gates = names.map(() => gate());
    const definition = workflow('late', async (ctx) =>
      Promise.all(
        names.map(async (name, i) => {
          await gates[i]?.promise; // non-ctx I/O before the branch's first ctx call
          return ctx.step(name, () => `result of branch ${i}`);
        }),
      ),
    );
    const j =
      live === undefined ? await Journal.live(definition) : await Journal.replay(definition, live.records);
    for (const i of order) {
      gates[i]?.open();
      await j.settle();
    }
    await j.settle(true);
    return j;
  }

  it.each([
    {
      names: ['save-a', 'save-b'],
      replay: [0, 1],
      ending: { type: 'complete', result: ['result of branch 0', 'result of branch 1'] },
    },
    {
      names: ['save', 'save'],
      replay: [0, 1],
      ending: { type: 'complete', result: ['result of branch 0', 'result of branch 1'] },
    },
    // Another order, different names: the name check catches it, deterministically stuck at call 1.
    {
      names: ['save-a', 'save-b'],
      replay: [1, 0],
      ending: {
        type: 'stuck',
        error: { details: { callSeq: 1, expected: 'step "save-a"', actual: 'step "save-b"' } },
      },
    },
    // Another order, same names: matched in arrival order, so each branch gets the other's result. Not solved.
    {
      names: ['save', 'save'],
      replay: [1, 0],
      ending: { type: 'complete', result: ['result of branch 1', 'result of branch 0'] },
    },
  ])(
    'branches that await before their first ctx call share a context: names $names replayed in order $replay',
    async ({ names, replay, ending }) => {
      const live = await branchesFirstAwait(names, [0, 1]);
      expect(endingOf(live.sink.intents)).toEqual({
        type: 'complete',
        result: ['result of branch 0', 'result of branch 1'],
      });
      const j = await branchesFirstAwait(names, replay, live);
      expect(endingOf(j.sink.intents)).toMatchObject(ending);
    },
  );
});

describe('replay identity: outcomes that arrive before the call is re-made', () => {
  it('a step whose completion arrived early still has its compensation run after a later failure', async () => {
    const undone: string[] = [];
    const slow = gate();
    const saga = (io: () => Promise<unknown>) =>
      workflow('slow-saga', async (ctx) => {
        await io(); // the body's own I/O before its first call: the history is delivered meanwhile
        await ctx.step('reserve', () => 'r', { compensate: () => undone.push('reserve') });
        await ctx.step('ship', () => Promise.reject(new TerminalError('no carrier')));
      });
    const live = await Journal.live(saga(() => fs.promises.readFile(file)));
    await live.settle(true);
    expect(live.sink.intents.find((i) => i.type === 'compensation')).toMatchObject({ steps: ['reserve'] });
    // A takeover while ship's attempt was in flight: its StepStarted is the last record.
    const cut = live.records.findIndex((r) => r.body.kind === 'StepStarted' && r.body.name === 'ship') + 1;
    undone.length = 0;
    const j = await Journal.replay(
      saga(() => slow.promise),
      live.records.slice(0, cut),
    );
    slow.open();
    await j.settle(true);
    expect(j.sink.intents.find((i) => i.type === 'compensation')).toMatchObject({ steps: ['reserve'] });
    expect(undone).toEqual(['reserve']);
  });

  it('ctx.now() after the body’s own I/O is the same on replay as it was live', async () => {
    const slow = gate();
    const clock = (io: () => Promise<unknown>) =>
      workflow('clock', async (ctx) => {
        await ctx.step('a', () => 1);
        await io();
        const seen = ctx.now();
        await ctx.step('b', () => 2);
        return seen;
      });
    const live = await Journal.live(clock(() => fs.promises.readFile(file)));
    await live.settle(true);
    const completedA = live.records.find((r) => r.body.kind === 'StepCompleted')?.atMs;
    expect(endingOf(live.sink.intents)).toEqual({ type: 'complete', result: completedA });
    const j = await Journal.replay(
      clock(() => slow.promise),
      live.records.slice(0, -1),
    );
    slow.open();
    await j.settle(true);
    expect(endingOf(j.sink.intents)).toEqual(endingOf(live.sink.intents));
  });
});
