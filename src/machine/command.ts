/**
 * Commands: what anyone may put on `ns.commands`, keyed by workflow id (DESIGN §2). The types live in the
 * machine, which decides them; src/commands decodes and encodes the wire forms, JSON
 * (schemas/command.schema.json) and Avro (schemas/command.avsc), into these types.
 *
 * I1. `start`, `signal` and `cancel` are the public commands. `query` asks the owner for a status event
 *     and `childResult` carries a child workflow's outcome to its parent's partition; both are public in
 *     form (any producer may send them) but written mostly by Logbook itself.
 */
import type { ChildOutcome, JsonValue, ParentRef } from '../journal/index.js';

/** A decoded command, discriminated on `type`. */
export type Command =
  | {
      readonly type: 'start';
      readonly workflow: string;
      readonly id: string;
      readonly input: JsonValue;
      readonly idempotency: string | null;
      readonly parent: ParentRef | null;
    }
  | { readonly type: 'signal'; readonly id: string; readonly name: string; readonly payload: JsonValue }
  | { readonly type: 'cancel'; readonly id: string; readonly reason: string }
  | { readonly type: 'query'; readonly id: string; readonly requestId: string }
  | {
      readonly type: 'childResult';
      readonly id: string;
      readonly callSeq: number;
      readonly childId: string;
      readonly outcome: ChildOutcome;
    };

/** Every command type. */
export type CommandType = Command['type'];
