/** The broker a benchmark measures (BENCH_FLUSH_EVERY_WRITE, BENCH_BROKER_JFR, LOGBOOK_BROKERS, BENCH_BROKER_PID). */
import { type LocalBroker, startLocalBroker } from '../src/dev/index.js';
import { parseBrokers } from '../src/kafka/index.js';

/** BENCH_FLUSH_EVERY_WRITE=1: the started broker flushes every write (`log.flush.interval.messages=1`). */
export const FLUSH_EVERY_WRITE = process.env.BENCH_FLUSH_EVERY_WRITE === '1';

/** The broker to measure: a local one this run starts, or LOGBOOK_BROKERS (BENCH_BROKER_PID its PID). */
export async function benchBroker() {
  let broker: LocalBroker | undefined;
  if (process.env.LOGBOOK_BROKERS === undefined) {
    const jfr = process.env.BENCH_BROKER_JFR;
    broker = await startLocalBroker({
      heapMaxMb: 1024,
      ...(jfr === undefined
        ? {}
        : { jvmOptions: [`-XX:StartFlightRecording=filename=${jfr},settings=profile,dumponexit=true`] }),
      ...(FLUSH_EVERY_WRITE ? { extraProperties: { 'log.flush.interval.messages': '1' } } : {}),
    });
  }
  const brokers = broker === undefined ? parseBrokers(process.env.LOGBOOK_BROKERS ?? '') : [broker.bootstrap];
  const pidEnv = process.env.BENCH_BROKER_PID;
  const brokerPid = broker?.pid ?? (pidEnv === undefined ? undefined : Number(pidEnv));
  return { broker, brokers, brokerPid };
}
