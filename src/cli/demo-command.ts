/** `logbook demo`: the order-fulfilment saga under a crash (see src/demo/run-demo.ts). */
import { runDemo } from '../demo/run-demo.js';

/** Runs the demo. */
export function demoCommand(): Promise<number> {
  return runDemo();
}
