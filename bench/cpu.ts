/** CPU meters for the benchmark: this Node process (client and executors) and the broker JVM. */
import { readdirSync } from 'node:fs';
import { processCpuMs, readProcStat } from '../src/dev/index.js';

/** The JVM's JIT compiler threads, by the name Linux shows for them (`C2 CompilerThre`, `C1 CompilerThre`). */
const JIT_THREAD = /^C[12] CompilerThre/;

/** One compiler thread's CPU ms, or undefined if `tid` is another thread or has exited since listed. */
function compilerThreadCpuMs(pid: number, tid: string): number | undefined {
  const stat = readProcStat(`/proc/${pid}/task/${tid}/stat`);
  return stat !== undefined && JIT_THREAD.test(stat.name) ? stat.cpuMs : undefined;
}

/**
 * CPU ms of each of the broker JVM's JIT compiler threads, by thread id (Linux /proc); undefined when none
 * can be read (no such process, or a JVM whose compiler threads have other names). A fresh broker compiles
 * for minutes, and each path (one request at a time, a hundred in flight) has code of its own to compile:
 * CPU spent here is warm-up, not the cost of a workflow.
 */
export function jitThreadsCpuMs(pid: number): ReadonlyMap<string, number> | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  const threads = new Map<string, number>();
  for (const tid of tids) {
    const ms = compilerThreadCpuMs(pid, tid);
    if (ms !== undefined) threads.set(tid, ms);
  }
  return threads.size === 0 ? undefined : threads;
}

/**
 * JIT CPU between two readings: each thread's growth, a thread that started since counted whole. A thread
 * that exited in between loses what it used since the first reading: HotSpot removes idle C2 threads only
 * where it runs more than one (not on 2 cores), so this can only undercount.
 */
function jitCpuSince(
  then: ReadonlyMap<string, number> | undefined,
  now: ReadonlyMap<string, number> | undefined,
): number | undefined {
  if (then === undefined || now === undefined) return undefined;
  let ms = 0;
  for (const [tid, cpu] of now) ms += cpu - Math.min(cpu, then.get(tid) ?? 0);
  return ms;
}

/** CPU time used since a start, in ms; `broker` is undefined when its PID is unknown. */
export interface CpuSpent {
  readonly nodeMs: number;
  readonly brokerMs: number | undefined;
  /** Of `brokerMs`, what the broker's JIT compiler threads used. */
  readonly brokerJitMs: number | undefined;
  readonly wallMs: number;
}

/**
 * Starts a meter; call the result to read the CPU spent since. The broker's readings (a scan of its threads'
 * /proc files) are taken outside the window, so this process's CPU and the wall time do not count them.
 */
export function cpuMeter(brokerPid: number | undefined): () => CpuSpent {
  const brokerNow = () =>
    brokerPid === undefined
      ? { cpu: undefined, jit: undefined }
      : { cpu: processCpuMs(brokerPid), jit: jitThreadsCpuMs(brokerPid) };
  const broker0 = brokerNow();
  const node0 = process.cpuUsage();
  const wall0 = performance.now();
  return () => {
    const wallMs = performance.now() - wall0;
    const node = process.cpuUsage(node0);
    const broker = brokerNow();
    return {
      nodeMs: (node.user + node.system) / 1000,
      brokerMs: broker.cpu === undefined || broker0.cpu === undefined ? undefined : broker.cpu - broker0.cpu,
      brokerJitMs: jitCpuSince(broker0.jit, broker.jit),
      wallMs,
    };
  };
}

/** Node and broker CPU per unit (workflow, second), rounded to 0.01 ms; `brokerJit` is part of `broker`. */
export function cpuPer(
  spent: CpuSpent,
  units: number,
): { node: number; broker?: number; brokerJit?: number; total?: number } {
  const r = (v: number): number => Math.round((v / units) * 100) / 100;
  if (spent.brokerMs === undefined) return { node: r(spent.nodeMs) };
  const jit = spent.brokerJitMs === undefined ? {} : { brokerJit: r(spent.brokerJitMs) };
  return {
    node: r(spent.nodeMs),
    broker: r(spent.brokerMs),
    ...jit,
    total: r(spent.nodeMs + spent.brokerMs),
  };
}

/** The share of the broker's CPU its JIT compiler used, unrounded; undefined when either is unknown or 0. */
export function jitShare(spent: CpuSpent): number | undefined {
  if (spent.brokerMs === undefined || spent.brokerJitMs === undefined || spent.brokerMs <= 0)
    return undefined;
  return spent.brokerJitMs / spent.brokerMs;
}
