/**
 * The topics of a namespace (DESIGN §1). Never change a name: executors, clients and any producer or
 * consumer of the namespace find each other by them.
 */

/** The topics of one namespace. */
export interface TopicNames {
  readonly commands: string;
  readonly journal: string;
  readonly events: string;
  readonly dlq: string;
}

/** The topic names for namespace `ns`. */
export function topicNames(ns: string): TopicNames {
  return { commands: `${ns}.commands`, journal: `${ns}.journal`, events: `${ns}.events`, dlq: `${ns}.dlq` };
}
