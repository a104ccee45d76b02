/**
 * `logbook journal verify [--workflows <module>] [--id <id> | --all] [--since <time>] [--json]`: the
 * writer rules (journal/verify.ts), and with `--workflows`, a replay of every recorded history through
 * that module's code with no side effects (audit/code-check.ts), listing each workflow that would diverge.
 * What users run in CI before deploying changed workflow code.
 *
 * I1. Exit 1 when a rule is broken or a workflow diverges, 0 otherwise.
 * I2. Without `--workflows` the output is the JSON report it always was (scripts read it).
 * I3. One streamed pass does both checks (journal-source.ts I1).
 */
import { CodeCheck, type CodeCheckFilter, type CodeCheckReport, type Divergence } from '../audit/index.js';
import { ConfigError } from '../errors.js';
import { type JournalReport, JournalVerifier } from '../journal/index.js';
import { type AnyWorkflowDefinition, isWorkflowDefinition } from '../workflow/index.js';
import type { JournalSource } from './journal-source.js';
import { LineWriter } from './line-writer.js';
import { loadModule } from './worker-command.js';

/** What `verify` was asked to do. */
export interface VerifyRequest {
  /** The workflows module to replay histories through; structural checks only when absent. */
  readonly modulePath?: string;
  readonly filter: CodeCheckFilter;
  readonly json: boolean;
}

/** The workflow definitions a module exports, by name. */
async function definitionsOf(modulePath: string): Promise<Map<string, AnyWorkflowDefinition>> {
  const exports = await loadModule(modulePath);
  const definitions = Object.values(exports).filter(isWorkflowDefinition);
  if (definitions.length === 0) throw new ConfigError(`${modulePath} exports no workflow() definitions.`);
  return new Map(definitions.map((d) => [d.name, d]));
}

/** One line for a divergence. */
export function divergenceLine(d: Divergence): string {
  const where = d.callSeq === null ? 'at its end' : `at call ${d.callSeq}`;
  return `diverged  ${d.workflowId} (${d.workflow}) ${where}: expected ${d.expected}, found ${d.found}`;
}

/** The closing line of a code check. */
export function verifySummary(code: CodeCheckReport, structure: JournalReport): string {
  const missing = Object.entries(code.notInModule).map(([name, n]) => `${n} of "${name}"`);
  const rules =
    structure.problemCount === 0 ? 'no problem' : `${structure.problemCount} problems (use --json)`;
  return [
    `checked ${code.checked} workflows (${code.running} not ended): ${code.divergedCount} diverged`,
    ...(missing.length === 0 ? [] : [`not in the module: ${missing.join(', ')}`]),
    `journal rules: ${rules}`,
  ].join('; ');
}

/** Runs the checks; returns the exit code (I1). */
export async function verifyJournalTopic(source: JournalSource, request: VerifyRequest): Promise<number> {
  const definitions = request.modulePath === undefined ? undefined : await definitionsOf(request.modulePath);
  const structure = new JournalVerifier();
  const code = definitions === undefined ? undefined : new CodeCheck(definitions, request.filter);
  const id = request.filter.id;
  await source.stream(
    {
      onRecord: async (record, partition) => {
        structure.add(record, partition); // I3
        await code?.add(record);
      },
      onPartitionEnd: async (partition) => {
        structure.endPartition(partition);
        await code?.endPartition();
      },
    },
    id === undefined ? undefined : [await source.partitionOf(id)],
  );
  const report = structure.report();
  const out = new LineWriter();
  if (code === undefined) {
    await out.line(JSON.stringify(report)); // I2
  } else {
    const codeReport = code.report();
    if (request.json) await out.line(JSON.stringify({ structure: report, code: codeReport }));
    else {
      for (const d of codeReport.diverged) await out.line(divergenceLine(d));
      await out.line(verifySummary(codeReport, report));
    }
    if (codeReport.divergedCount > 0) {
      await out.flush();
      return 1; // I1
    }
  }
  await out.flush();
  return report.problemCount === 0 ? 0 : 1; // I1
}
