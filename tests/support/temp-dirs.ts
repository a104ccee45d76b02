/**
 * Temporary directories for tests, removed when the test file ends (tests/support/cleanup.ts). Every name
 * carries the run's id (`LOGBOOK_TEST_RUN`), so the integration run's teardown can prove none is left.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

/** The prefix of every temporary directory of this test run. */
export function tempPrefix(): string {
  return `logbook-t${process.env.LOGBOOK_TEST_RUN ?? 'x'}-`;
}

/** A fresh temporary directory, removed after the test file (I1 of cleanup.ts). */
export function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${tempPrefix()}${label}-`));
  made.push(dir);
  return dir;
}

/** Removes every directory `tempDir` made in this process. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
