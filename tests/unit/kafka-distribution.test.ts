/**
 * Proves the KAFKA_VERSION switch picks the right broker build, and that an unknown version is a clear
 * configuration error rather than a Maven failure later.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resolveDistribution } from '../../src/dev/kafka-distribution.js';
import { ConfigError } from '../../src/errors.js';

describe('resolveDistribution', () => {
  // The suite itself may run under KAFKA_VERSION=4.1; the "nothing requested" rows mean an unset variable.
  beforeEach(() => vi.stubEnv('KAFKA_VERSION', ''));
  afterEach(() => vi.unstubAllEnvs());

  it.each([
    [undefined, '3.9.1', 'kafka39'],
    ['', '3.9.1', 'kafka39'],
    ['3.9', '3.9.1', 'kafka39'],
    ['3.9.1', '3.9.1', 'kafka39'],
    ['4.1', '4.1.1', 'kafka4'],
    ['4.1.1', '4.1.1', 'kafka4'],
  ])('KAFKA_VERSION=%s runs Kafka %s from Maven profile %s', (requested, version, profile) => {
    const dist = resolveDistribution(requested);
    expect(dist.version).toBe(version);
    expect(dist.mavenProfile).toBe(profile);
  });

  it('rejects an unknown version with a ConfigError naming the supported ones', () => {
    expect(() => resolveDistribution('2.8')).toThrow(ConfigError);
    expect(() => resolveDistribution('2.8')).toThrow(
      'KAFKA_VERSION=2.8 is not supported; use one of 3.9, 4.1.',
    );
  });
});
