/**
 * Vitest setup file for every test file: removes the temporary directories the file made (temp-dirs.ts)
 * once its tests are done and its executors are stopped (each file's afterEach stops them).
 */
import { afterAll } from 'vitest';
import { removeTempDirs } from './temp-dirs.js';

afterAll(() => {
  removeTempDirs();
});
