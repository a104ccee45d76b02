/** The benchmark's idle figures: CPU per second of a warm broker, an idle executor beside it, a client. */
import { Client } from '../src/client/index.js';
import { cpuMeter, cpuPer } from './cpu.js';
import { quantileBy } from './stats.js';
import { allRunning, newExecutor, progress, type Setup, sleep } from './w1-runs.js';

/** Idle CPU is read in windows this long; the median window is the figure (idleCpu). */
const IDLE_WINDOW_SECONDS = 5;

export interface IdleOptions {
  /** How long each idle figure is read, in whole windows. */
  readonly seconds: number;
  /** How long the executor (and then the client) settles before its figure is read. */
  readonly settleMs: number;
}

/**
 * Idle CPU of a warm broker with an executor owning every partition of a namespace of its own (the
 * issue's figure), then with a connected client beside it: no workflow ever ran there, so no cleanup of
 * finished ones (their history is purged in bounded rounds after a burst) is counted as idle.
 */
export async function idleExecutor(setup: Setup, dir: string, options: IdleOptions) {
  const idle = {
    ...setup,
    ns: `${setup.ns}-idle`,
    client: new Client({ brokers: setup.brokers, namespace: `${setup.ns}-idle` }),
  };
  const executor = newExecutor(idle, dir);
  const settle = async (): Promise<void> => {
    await sleep(options.settleMs);
    collectGarbage(); // the earlier phases' garbage is not the idle executor's cost
  };
  try {
    await executor.start();
    await allRunning([executor], setup.partitions);
    await settle();
    const executorAndBroker = await idleCpu(
      idle,
      `an executor owning ${setup.partitions} partitions, no workflows`,
      options.seconds,
    );
    await idle.client.describe('nobody', { timeout: '30s' }).catch(() => undefined); // connects the client
    await settle();
    const withClient = await idleCpu(idle, 'the same and a connected client', options.seconds);
    return { executorAndBroker, withClient };
  } finally {
    await idle.client.close();
    await executor.stop();
  }
}

/** A full GC now, when Node runs with --expose-gc (npm run bench does). */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * CPU per second of doing nothing (`what`), over `seconds` in whole windows of IDLE_WINDOW_SECONDS: the
 * window with the median total is the figure (a broker's JIT compiles in bursts for minutes after a
 * load), and every window is printed so the bursts stay visible.
 */
export async function idleCpu(setup: Setup, what: string, seconds: number) {
  const count = Math.max(1, Math.round(seconds / IDLE_WINDOW_SECONDS));
  progress(`idle: ${what}, ${count} windows of ${IDLE_WINDOW_SECONDS} s`);
  const windows: ReturnType<typeof cpuPer>[] = [];
  for (let i = 0; i < count; i++) {
    const meter = cpuMeter(setup.brokerPid);
    await sleep(IDLE_WINDOW_SECONDS * 1000);
    windows.push(cpuPer(meter(), IDLE_WINDOW_SECONDS));
  }
  const figure = quantileBy(windows, 0.5, (w) => w.total ?? w.node);
  if (figure === undefined) throw new Error('idleCpu: no window was measured');
  progress(`idle: ${JSON.stringify(figure)} ms of CPU a second (windows: ${JSON.stringify(windows)})`);
  return figure;
}
