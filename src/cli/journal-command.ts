/**
 * `logbook journal show <id> | export | verify`: the journal for audits, read straight from Kafka
 * (read_committed), with nothing but the brokers and the namespace.
 *
 * I1. `show` and `export` print one decoded record per line (JSON), in journal order; JSON payloads appear
 *     as JSON, not bytes.
 * I2. `verify` prints a report and exits 1 when any writer rule is broken (src/journal/verify.ts).
 */

import { ConfigError } from '../errors.js';
import { defaultBrokers, defaultNamespace } from '../executor/executor-options.js';
import { type JournalRecord, verifyJournal } from '../journal/index.js';
import { createKafka, parseBrokers, scanJournal, topicNames } from '../kafka/index.js';
import { parseFlags, stringFlag } from './args.js';

const usage = `logbook journal show <id> | export | verify [--brokers] [--namespace]

  show <id>  every record of one workflow, one JSON object a line
  export     every record of the namespace, one JSON object a line
  verify     check seqs, terminal records and exactly-once step results; exit 1 on any problem`;

async function readAll(brokers: string | undefined, namespace: string | undefined): Promise<JournalRecord[]> {
  const ns = namespace ?? defaultNamespace();
  const kafka = createKafka({
    brokers: brokers === undefined ? defaultBrokers() : parseBrokers(brokers),
    clientId: 'logbook-journal',
  });
  return scanJournal(kafka, topicNames(ns).journal, `${ns}.journal-cli`, 120_000);
}

function print(records: readonly JournalRecord[]): void {
  for (const record of records) process.stdout.write(`${JSON.stringify(record)}\n`); // I1
}

/** Runs `logbook journal …`. */
export async function journalCommand(argv: readonly string[]): Promise<number> {
  const args = parseFlags(argv, {
    brokers: { type: 'string' },
    namespace: { type: 'string' },
    help: { type: 'boolean' },
  });
  const [action, id] = args.positionals;
  if (args.flags.help === true || action === undefined) {
    process.stdout.write(`${usage}\n`);
    return action === undefined && args.flags.help !== true ? 2 : 0;
  }
  const records = () => readAll(stringFlag(args, 'brokers'), stringFlag(args, 'namespace'));
  switch (action) {
    case 'show': {
      if (id === undefined) throw new ConfigError(`missing the workflow id. Usage: ${usage.split('\n')[0]}`);
      print((await records()).filter((r) => r.workflowId === id));
      return 0;
    }
    case 'export':
      print(await records());
      return 0;
    case 'verify': {
      const report = verifyJournal(await records());
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return report.problems.length === 0 ? 0 : 1; // I2
    }
    default:
      throw new ConfigError(`unknown journal action "${action}". Usage: ${usage.split('\n')[0]}`);
  }
}
