/**
 * Which trace each message of a tick carries (messages.ts I4, D24): a workflow's own, from its state
 * (WorkflowStarted's trace, so it survives cache rebuilds and takeovers), and a forwarded command's, from
 * the headers it arrived with.
 *
 * I1. Nothing is allocated for a tick without forwarded traced commands.
 */
import type { Command } from '../commands/index.js';
import type { TraceContext } from '../journal/index.js';
import type { PartitionState } from '../machine/index.js';
import type { Queued } from './inbox.js';

/** The traces of one tick's messages. */
export interface TickTraces {
  /** The trace of workflow `id`, if it has one. */
  workflow(id: string): TraceContext | undefined;
  /** The trace a forwarded command arrived with. */
  command(command: Command): TraceContext | undefined;
}

/** The traces of a tick that decided over `view` and took `taken` (I1). */
export function tickTraces(view: PartitionState, taken: readonly Queued[]): TickTraces {
  let forwarded: Map<Command, TraceContext> | undefined;
  for (const { input } of taken) {
    if (input.kind !== 'misrouted' || input.trace === undefined) continue;
    forwarded ??= new Map();
    forwarded.set(input.command, input.trace);
  }
  return {
    workflow: (id) => view.get(id)?.trace,
    command: (command) => forwarded?.get(command),
  };
}
