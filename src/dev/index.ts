/** Local Kafka for dev, tests and CI: jars from Maven, a single-node KRaft broker on 127.0.0.1. */

export {
  type BrokerSignal,
  processCpuMs,
  processRssMb,
  readProcStat,
  readProcTreeStat,
} from './broker-process.js';
export { freePort, freePorts, isPortOpen } from './free-port.js';
export {
  checkJava,
  ensureBrokerJars,
  jarCacheDir,
  type KafkaDistribution,
  packageRoot,
  resolveDistribution,
} from './kafka-distribution.js';
export { type LocalBroker, type LocalBrokerOptions, startLocalBroker } from './local-broker.js';
