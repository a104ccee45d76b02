/**
 * `logbook`: the command-line entry. Dispatches to one subcommand and turns Logbook's own errors into one
 * clear sentence on stderr and a non-zero exit code, never a stack trace.
 *
 * I1. Exit codes: 0 success, 1 a LogbookError or a KafkaJS error (operating failure or missing
 *     prerequisite), 2 bad usage, 70 an unexpected bug (printed with its stack, since that is what a bug
 *     report needs).
 * I2. The process exits when its command's promise settles, with stdout and stderr flushed first.
 */
import { ConfigError, LogbookError } from '../errors.js';
import { kafkaErrorDetail } from './args.js';
import { cancelCommand, signalCommand, startCommand, statusCommand } from './client-commands.js';
import { demoCommand } from './demo-command.js';
import { devCommand } from './dev-command.js';
import { journalCommand } from './journal-command.js';
import { listCommand } from './list-command.js';
import { workerCommand } from './worker-command.js';

type Command = (argv: readonly string[]) => Promise<number>;

const commands: Readonly<Record<string, Command>> = {
  dev: devCommand,
  demo: demoCommand,
  worker: workerCommand,
  start: startCommand,
  signal: signalCommand,
  cancel: cancelCommand,
  status: statusCommand,
  journal: journalCommand,
  list: listCommand,
};

const usage = `Usage: logbook <command> [options]

Commands:
  dev      run a local single-node Kafka broker on 127.0.0.1 (default port 9092)
  demo     the order-fulfilment demo: 2 executors, 500 orders, one SIGKILL (starts its own Kafka)
  worker   run an executor for the workflows a module exports
  start    start a workflow (--wait prints its result)
  signal   send a signal to a workflow
  cancel   cancel a workflow (its compensations run)
  status   print a workflow's status
  list     list workflows (--status, --workflow, --limit): from the admin API, else the journal
  journal  replay <id> [--at] | show <id> | export | verify [--workflows]: the journal, read from
           Kafka with no executor running, for audits and CI

Run \`logbook <command> --help\` for a command's options.
`;

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (command === undefined) {
    process.stderr.write(`logbook: unknown command "${name}".\n\n${usage}`);
    return 2;
  }
  return command(rest);
}

/** The one sentence for an error, and its exit code (I1). */
function failure(error: unknown): { text: string; code: number } {
  if (error instanceof LogbookError) {
    return { text: `logbook: ${error.message}\n`, code: error instanceof ConfigError ? 2 : 1 };
  }
  if (error instanceof Error && error.name.startsWith('KafkaJS')) {
    // Say, a worker that cannot reach its brokers: an operating failure, not a bug.
    const { detail, unreachable } = kafkaErrorDetail(error);
    const hint = unreachable ? '; check that --brokers or LOGBOOK_BROKERS names a running cluster' : '';
    return { text: `logbook: Kafka failed (${detail})${hint}.\n`, code: 1 };
  }
  return {
    text: `logbook: unexpected error (a bug; please report it):\n${error instanceof Error ? error.stack : String(error)}\n`,
    code: 70,
  };
}

/**
 * Exits once stdout and stderr are flushed. A one-shot command is done when its promise settles, and a
 * Kafka client that failed half-way through connecting can leave sockets open that would keep it alive.
 */
function exit(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

main(process.argv.slice(2)).then(exit, (error: unknown) => {
  const { text, code } = failure(error);
  process.stderr.write(text);
  exit(code);
});
