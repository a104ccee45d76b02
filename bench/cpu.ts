/** CPU meters for the benchmark: this Node process (client and executors) and the broker JVM. */
import { processCpuMs } from '../src/dev/index.js';

/** CPU time used since a start, in ms; `broker` is undefined when its PID is unknown. */
export interface CpuSpent {
  readonly nodeMs: number;
  readonly brokerMs: number | undefined;
  readonly wallMs: number;
}

/** Starts a meter; call the result to read the CPU spent since. */
export function cpuMeter(brokerPid: number | undefined): () => CpuSpent {
  const node0 = process.cpuUsage();
  const broker0 = brokerPid === undefined ? undefined : processCpuMs(brokerPid);
  const wall0 = performance.now();
  return () => {
    const node = process.cpuUsage(node0);
    const broker = brokerPid === undefined ? undefined : processCpuMs(brokerPid);
    return {
      nodeMs: (node.user + node.system) / 1000,
      brokerMs: broker === undefined || broker0 === undefined ? undefined : broker - broker0,
      wallMs: performance.now() - wall0,
    };
  };
}

/** Node and broker CPU per unit (workflow, second), rounded to 0.01 ms. */
export function cpuPer(spent: CpuSpent, units: number): { node: number; broker?: number; total?: number } {
  const r = (v: number): number => Math.round((v / units) * 100) / 100;
  if (spent.brokerMs === undefined) return { node: r(spent.nodeMs) };
  return { node: r(spent.nodeMs), broker: r(spent.brokerMs), total: r(spent.nodeMs + spent.brokerMs) };
}
