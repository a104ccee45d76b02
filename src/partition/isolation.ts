/**
 * Finding what Kafka refused. When Kafka rejects a tick's records (a record-level error, not an outage),
 * the tick's workflows become suspects and the owner goes on one workflow per tick until each suspect has
 * committed a tick of its own or failed one: the one that fails alone is the culprit (owner-failure.ts
 * quarantines it). Kafka does not say which record it refused, so this is how the owner finds out.
 *
 * I1. Only while suspects remain does a tick take one workflow's inputs (the first input decides which);
 *     otherwise ticks take everything, as always.
 * I2. Bounded: at most `SUSPECTS_MAX` suspects, and suspicion ends after `SUSPICION_MS` even if a suspect
 *     never had another input (it had nothing left that could fail).
 */
import { inputWorkflowId } from '../machine/index.js';
import type { Queued } from './inbox.js';

/** Suspects held at most (I2). */
export const SUSPECTS_MAX = 10_000;
/** How long suspicion lasts without a conviction (I2). */
export const SUSPICION_MS = 60_000;

/** The owner's suspects and the single-workflow mode they impose. */
export class Isolation {
  private readonly suspects = new Set<string>();
  private untilMs = 0;
  private target: string | undefined | null = null;

  constructor(private readonly now: () => number) {}

  /** True while ticks take one workflow at a time (I1). */
  get active(): boolean {
    if (this.suspects.size > 0 && this.now() > this.untilMs) this.suspects.clear(); // I2
    return this.suspects.size > 0;
  }

  /** Suspects `ids` (the workflows of a rejected tick); ids without a workflow are keyed ''. */
  suspect(ids: Iterable<string>): void {
    for (const id of ids) if (this.suspects.size < SUSPECTS_MAX) this.suspects.add(id);
    this.untilMs = this.now() + SUSPICION_MS;
  }

  /** True when `id` is a suspect now (suspicion expires, I2). */
  isSuspect(id: string): boolean {
    return this.active && this.suspects.has(id);
  }

  /** Clears `ids`: each committed a tick of its own. */
  passed(ids: Iterable<string>): void {
    if (this.suspects.size === 0) return;
    for (const id of ids) this.suspects.delete(id);
  }

  /** A tick begins: it will pick its one workflow from its first input (I1). */
  startTick(): void {
    this.target = this.active ? null : undefined;
  }

  /** True when the tick being assembled takes `q` (I1). */
  accepts(q: Queued): boolean {
    if (this.target === undefined) return true;
    const id = inputWorkflowId(q.input) ?? '';
    if (this.target === null) this.target = id;
    return id === this.target;
  }
}
