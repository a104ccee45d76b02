/** CPU meters for the benchmark: this Node process (client and executors) and the broker JVM. */
import { readdirSync, readFileSync } from 'node:fs';
import { processCpuMs } from '../src/dev/index.js';

/** The JVM's JIT compiler threads, by the name Linux shows for them (`C2 CompilerThre`, `C1 CompilerThre`). */
const JIT_THREAD = /^C[12] CompilerThre/;

/**
 * CPU ms the broker JVM's JIT compiler threads have used (Linux /proc; undefined where unreadable). A
 * fresh broker compiles for minutes, and each path (one request at a time, a hundred in flight) has code
 * of its own to compile: CPU spent here is warm-up, not the cost of a workflow.
 */
export function jitCpuMs(pid: number): number | undefined {
  try {
    let ms = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (!JIT_THREAD.test(name)) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ms += (Number(fields[11]) + Number(fields[12])) * 10;
    }
    return ms;
  } catch {
    return undefined;
  }
}

/** CPU time used since a start, in ms; `broker` is undefined when its PID is unknown. */
export interface CpuSpent {
  readonly nodeMs: number;
  readonly brokerMs: number | undefined;
  /** Of `brokerMs`, what the broker's JIT compiler threads used. */
  readonly brokerJitMs: number | undefined;
  readonly wallMs: number;
}

/** Starts a meter; call the result to read the CPU spent since. */
export function cpuMeter(brokerPid: number | undefined): () => CpuSpent {
  const node0 = process.cpuUsage();
  const broker0 = brokerPid === undefined ? undefined : processCpuMs(brokerPid);
  const jit0 = brokerPid === undefined ? undefined : jitCpuMs(brokerPid);
  const wall0 = performance.now();
  const since = (now: number | undefined, then: number | undefined): number | undefined =>
    now === undefined || then === undefined ? undefined : now - then;
  return () => {
    const node = process.cpuUsage(node0);
    return {
      nodeMs: (node.user + node.system) / 1000,
      brokerMs: since(brokerPid === undefined ? undefined : processCpuMs(brokerPid), broker0),
      brokerJitMs: since(brokerPid === undefined ? undefined : jitCpuMs(brokerPid), jit0),
      wallMs: performance.now() - wall0,
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
