/**
 * `logbook list [--status S] [--workflow NAME] [--limit N] [--json]`: workflows, one line each (id,
 * workflow, status, started, updated), from the executors' admin API when one answers, else folded from
 * the journal (audit/workflow-list.ts) with no executor running.
 *
 * I1. The source is chosen in this order: the admin URLs of `--admin` or LOGBOOK_ADMIN_URL (a comma list,
 *     one per executor, pages merged), then the journal when none is given or none answers
 *     (admin-list.ts I1). stderr says which source answered; stdout holds only the list.
 * I2. `--limit` is 1..LIST_LIMIT_MAX (default 50): the journal fold keeps that many summaries.
 */
import type { WorkflowStatusName, WorkflowSummaryJson } from '../admin/api-types.js';
import { WORKFLOW_STATUSES } from '../admin/api-types.js';
import { type ListFilter, mergeSummaries, WorkflowListFold } from '../audit/index.js';
import { ConfigError } from '../errors.js';
import { listFromAdmin } from './admin-list.js';
import { parseFlags, positiveIntFlag, stringFlag } from './args.js';
import { JournalSource } from './journal-source.js';
import { LineWriter } from './line-writer.js';

/** Workflows a list shows at most (I2). */
export const LIST_LIMIT_MAX = 10_000;

const usage =
  'logbook list [--status running|stuck|failed|completed|cancelled] [--workflow NAME] [--limit N] [--json] [--admin URL[,URL…]] [--admin-token T] [--brokers] [--namespace]';

const flags = {
  status: { type: 'string' },
  workflow: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  admin: { type: 'string' },
  'admin-token': { type: 'string' },
  brokers: { type: 'string' },
  namespace: { type: 'string' },
  help: { type: 'boolean' },
} as const;

function statusOf(raw: string | undefined): WorkflowStatusName | undefined {
  if (raw === undefined) return undefined;
  const status = WORKFLOW_STATUSES.find((s) => s === raw);
  if (status === undefined)
    throw new ConfigError(`--status must be one of ${WORKFLOW_STATUSES.join(', ')}, not "${raw}".`);
  return status;
}

/** The admin answers merged, or undefined when no executor answered (I1). */
async function fromAdmin(urls: readonly string[], filter: ListFilter, token: string | undefined) {
  const answers = await Promise.all(urls.map((url) => listFromAdmin(url, filter, token)));
  const answered = urls.filter((_, i) => answers[i] !== undefined);
  if (answered.length === 0) return undefined;
  const silent = urls.filter((_, i) => answers[i] === undefined);
  const note =
    silent.length === 0 ? '' : ` (no answer from ${silent.join(', ')}: their workflows are missing)`;
  process.stderr.write(`logbook list: from the admin API at ${answered.join(', ')}${note}\n`);
  return mergeSummaries(
    answers.flatMap((a) => (a === undefined ? [] : [a])),
    filter,
  );
}

/** One line for a workflow. */
export function listLine(s: WorkflowSummaryJson): string {
  return [s.id.padEnd(24), s.workflow.padEnd(20), s.status.padEnd(10), s.startedAt ?? '-', s.updatedAt ?? '-']
    .join(' ')
    .trimEnd();
}

/** Runs `logbook list` (I1). */
export async function listCommand(argv: readonly string[]): Promise<number> {
  const args = parseFlags(argv, flags, usage, 0);
  if (args.flags.help === true) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const status = statusOf(stringFlag(args, 'status'));
  const workflow = stringFlag(args, 'workflow');
  const limit = positiveIntFlag(args, 'limit', 50);
  if (limit > LIST_LIMIT_MAX)
    throw new ConfigError(`--limit must be at most ${LIST_LIMIT_MAX}, not ${limit}.`); // I2
  const filter: ListFilter = {
    limit,
    ...(status === undefined ? {} : { status }),
    ...(workflow === undefined ? {} : { workflow }),
  };
  const admin = stringFlag(args, 'admin') ?? process.env.LOGBOOK_ADMIN_URL;
  const token = stringFlag(args, 'admin-token') ?? process.env.LOGBOOK_ADMIN_TOKEN;
  const urls = (admin ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  const bad = urls.find((u) => !URL.canParse(u));
  if (bad !== undefined)
    throw new ConfigError(`--admin must be a URL such as http://127.0.0.1:8080, not "${bad}".`);
  let items = urls.length === 0 ? undefined : await fromAdmin(urls, filter, token);
  if (items === undefined) {
    const why = urls.length === 0 ? 'no admin URL given' : `no admin API answered at ${urls.join(', ')}`;
    const source = JournalSource.fromFlags(args);
    process.stderr.write(`logbook list: from the journal ${source.topic} (${why})\n`);
    const fold = new WorkflowListFold(filter);
    await source.stream({ onRecord: (r, p) => fold.add(r, p), onPartitionEnd: (p) => fold.endPartition(p) });
    items = fold.result();
  }
  const out = new LineWriter();
  for (const s of items) await out.line(args.flags.json === true ? JSON.stringify(s) : listLine(s));
  await out.flush();
  return 0;
}
