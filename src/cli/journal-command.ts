/**
 * `logbook journal show | replay | export | verify`: the journal for audits and CI, read straight from
 * Kafka (read_committed) with nothing but the brokers and the namespace — no executor needs to run.
 * Every action streams the journal partition by partition (journal-source.ts), so memory does not grow
 * with the journal's length.
 *
 * I1. `show` and `export` print one decoded record per line (JSON), in journal order; JSON payloads appear
 *     as JSON, not bytes.
 * I2. `verify` exits 1 when any writer rule is broken (src/journal/verify.ts) or, with `--workflows`, when
 *     any recorded history would diverge from that code (journal-verify.ts).
 */
import { ConfigError } from '../errors.js';
import { parseFlags, stringFlag } from './args.js';
import { exportJournal } from './journal-export.js';
import { printHistory, printPointInTime } from './journal-replay.js';
import { JournalSource, pointFlag, timeFlag } from './journal-source.js';
import { verifyJournalTopic } from './journal-verify.js';

const usage = `logbook journal <action> [--brokers] [--namespace]

  replay <id> [--at <offset|time>] [--json]
             the workflow's timeline, one line per record; --at: the workflow as it stood at that
             journal offset (of its partition) or ISO-8601 time; --json: the records as JSON lines
  show <id>  every record of one workflow, one JSON object a line (replay --json)
  export [--from <time>] [--to <time>] [--workflow <name>] [--id <id>]
             records as JSON lines, time in [--from, --to)
  verify [--workflows <module>] [--id <id> | --all] [--since <time>] [--json]
             check seqs, terminal records and exactly-once step results; with --workflows, replay
             every history through that code (no step runs) and list each workflow that would
             diverge, with its first diverging call; exit 1 on any problem`;

const flags = {
  brokers: { type: 'string' },
  namespace: { type: 'string' },
  at: { type: 'string' },
  json: { type: 'boolean' },
  from: { type: 'string' },
  to: { type: 'string' },
  since: { type: 'string' },
  workflow: { type: 'string' },
  workflows: { type: 'string' },
  id: { type: 'string' },
  all: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

const usageLine = usage.split('\n')[0] ?? '';

function needId(id: string | undefined, action: string): string {
  if (id === undefined)
    throw new ConfigError(`missing the workflow id. Usage: logbook journal ${action} <id>`);
  return id;
}

/** Runs `logbook journal …`. */
export async function journalCommand(argv: readonly string[]): Promise<number> {
  const args = parseFlags(argv, flags, usageLine, 2);
  const [action, id] = args.positionals;
  if (args.flags.help === true || action === undefined) {
    process.stdout.write(`${usage}\n`);
    return action === undefined && args.flags.help !== true ? 2 : 0;
  }
  const json = args.flags.json === true;
  switch (action) {
    case 'show':
      return printHistory(JournalSource.fromFlags(args), needId(id, action), true);
    case 'replay': {
      const point = pointFlag(args);
      const source = JournalSource.fromFlags(args);
      const workflowId = needId(id, action);
      return point === undefined
        ? printHistory(source, workflowId, json)
        : printPointInTime(source, workflowId, point, json);
    }
    case 'export': {
      const [fromMs, toMs] = [timeFlag(args, 'from'), timeFlag(args, 'to')];
      const [workflow, only] = [stringFlag(args, 'workflow'), stringFlag(args, 'id')];
      return exportJournal(JournalSource.fromFlags(args), {
        ...(fromMs === undefined ? {} : { fromMs }),
        ...(toMs === undefined ? {} : { toMs }),
        ...(workflow === undefined ? {} : { workflow }),
        ...(only === undefined ? {} : { id: only }),
      });
    }
    case 'verify': {
      const [modulePath, only, sinceMs] = [
        stringFlag(args, 'workflows'),
        stringFlag(args, 'id'),
        timeFlag(args, 'since'),
      ];
      if (only !== undefined && args.flags.all === true)
        throw new ConfigError('give --id <id> or --all, not both.');
      return verifyJournalTopic(JournalSource.fromFlags(args), {
        ...(modulePath === undefined ? {} : { modulePath }),
        filter: {
          ...(only === undefined ? {} : { id: only }),
          ...(sinceMs === undefined ? {} : { sinceMs }),
        },
        json,
      });
    }
    default:
      throw new ConfigError(`unknown journal action "${action}". Usage: ${usageLine}`);
  }
}
