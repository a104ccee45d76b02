/**
 * One system's side of the peers benchmark, in a process of its own (run.ts forks it), so its CPU is read
 * apart from the other systems' idle work: the client and the workflow code of Logbook, Restate or DBOS,
 * running W1 (three no-op steps with ~100-byte results) as run.ts asks over IPC.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../../src/client/index.js';
import { payload, w1 } from '../w1.js';
import { allRunning, newExecutor } from '../w1-runs.js';
import { loadDbos, loadRestate, type PeerSystem } from './sdks.js';

/** What run.ts asks: `n` workflows, `inFlight` at a time, ids `${prefix}-${i}`. */
export interface DriverRequest {
  readonly prefix: string;
  readonly n: number;
  readonly inFlight: number;
}

/** What the driver answers: each workflow's start-to-result ms (when run one at a time) and the wall time. */
export type DriverMessage =
  | { readonly kind: 'ready' }
  | { readonly kind: 'done'; readonly latencies: number[]; readonly wallMs: number }
  | { readonly kind: 'failed'; readonly error: string };

type RunOne = (id: string) => Promise<void>;

interface Driver {
  readonly runOne: RunOne;
  close(): Promise<void>;
}

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`driver: ${name} is not set`);
  return value;
};

async function logbook(): Promise<Driver> {
  const brokers = env('PEERS_KAFKA').split(',');
  const ns = env('PEERS_NAMESPACE');
  const partitions = Number(process.env.PEERS_PARTITIONS ?? 6);
  const client = new Client({ brokers, namespace: ns });
  const dir = mkdtempSync(join(tmpdir(), 'logbook-peers-'));
  const setup = { brokers, ns, brokerPid: undefined, client, partitions, limits: {} };
  const executor = newExecutor(setup, dir);
  await executor.start();
  await allRunning([executor], partitions);
  return {
    runOne: async (id) => void (await (await client.start(w1, { id })).result({ timeout: '300s' })),
    close: async () => {
      await client.close();
      await executor.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function restate(): Promise<Driver> {
  const sdk = loadRestate(env('PEERS_DIR'));
  const service = sdk.workflow({
    name: 'w1',
    handlers: {
      run: async (ctx) => {
        const a = await ctx.run('one', () => ({ v: payload }));
        const b = await ctx.run('two', () => ({ v: a.v }));
        return ctx.run('three', () => ({ v: b.v }));
      },
    },
  });
  const port = Number(env('PEERS_RESTATE_ENDPOINT_PORT'));
  await sdk.serve({ services: [service], port });
  const admin = env('PEERS_RESTATE_ADMIN');
  const registered = await fetch(`${admin}/deployments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ uri: `http://127.0.0.1:${port}`, force: true }),
  });
  if (!registered.ok) throw new Error(`restate: registering the deployment: ${await registered.text()}`);
  const ingress = env('PEERS_RESTATE_INGRESS');
  return {
    runOne: async (id) => {
      const answer = await fetch(`${ingress}/w1/${id}/run`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      if (!answer.ok) throw new Error(`restate: ${id}: ${answer.status} ${await answer.text()}`);
      await answer.arrayBuffer();
    },
    close: async () => undefined,
  };
}

async function dbos(): Promise<Driver> {
  const { DBOS } = loadDbos(env('PEERS_DIR'));
  const poolSize = process.env.PEERS_DBOS_POOL_SIZE; // DBOS's own default (10) unless set
  DBOS.setConfig({
    name: 'logbook-peers',
    systemDatabaseUrl: env('PEERS_POSTGRES_URL'),
    logLevel: 'error',
    ...(poolSize === undefined ? {} : { systemDatabasePoolSize: Number(poolSize) }),
  });
  const wf = DBOS.registerWorkflow(
    async () => {
      const a = await DBOS.runStep(async () => ({ v: payload }), { name: 'one' });
      const b = await DBOS.runStep(async () => ({ v: a.v }), { name: 'two' });
      return DBOS.runStep(async () => ({ v: b.v }), { name: 'three' });
    },
    { name: 'w1' },
  );
  await DBOS.launch();
  return {
    runOne: async (id) => void (await (await DBOS.startWorkflow(wf, { workflowID: id })()).getResult()),
    close: () => DBOS.shutdown(),
  };
}

const SYSTEMS: Record<PeerSystem, () => Promise<Driver>> = { logbook, restate, dbos };

async function serve(system: PeerSystem): Promise<void> {
  const send = (m: DriverMessage): void => void process.send?.(m);
  const driver = await SYSTEMS[system]();
  process.on('message', (raw) => {
    const request = raw as DriverRequest | 'close';
    if (request === 'close') {
      void driver.close().finally(() => process.exit(0));
      return;
    }
    void run(driver.runOne, request).then(send, (error: unknown) =>
      send({ kind: 'failed', error: String(error) }),
    );
  });
  send({ kind: 'ready' });
}

/** `n` workflows, `inFlight` lanes; latencies only when one at a time (a lane's wait is not latency). */
async function run(runOne: RunOne, { prefix, n, inFlight }: DriverRequest): Promise<DriverMessage> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  const lane = async (): Promise<void> => {
    while (next < n) {
      const id = `${prefix}-${next++}`;
      const t = performance.now();
      await runOne(id).catch((error: unknown) => {
        next = n; // the other lanes start no more
        throw error;
      });
      if (inFlight === 1) latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, () => lane()));
  return { kind: 'done', latencies, wallMs: performance.now() - start };
}

process.on('disconnect', () => process.exit(1)); // the run is gone: free the ports and sockets

serve(process.argv[2] as PeerSystem).catch((error: unknown) => {
  process.stderr.write(`driver ${process.argv[2]}: ${String(error)}\n`);
  const failed: DriverMessage = { kind: 'failed', error: String(error) };
  if (process.send === undefined) process.exit(1);
  else process.send(failed, () => process.exit(1));
});
