/**
 * `npm run bench:fence`: does the broker fence a transactional id's non-transactional record batches (D34)?
 * A probe of Kafka's behaviour, not of Logbook's: against a local broker (KAFKA_VERSION picks the line), it
 * writes non-transactional batches under one transactional id's producer id and epoch, starts a newer
 * epoch of that id, and prints as JSON which writes of the old epoch the broker accepts, before and after
 * the newer epoch has written to a partition (here: a transaction with no records, which writes only its
 * markers). The design D34 sketches needs `fencedAfterMarkers` true on every Kafka line Logbook supports.
 *
 * It uses KafkaJS's own modules (its `eosManager` and `Broker.produce`), which KafkaJS does not export.
 */
import { Kafka, logLevel } from 'kafkajs';
import { type LocalBroker, resolveDistribution, startLocalBroker } from '../src/dev/index.js';
import { kafkajsCluster, kafkajsModule } from '../src/kafka/kafkajs-internals.js';

/** KafkaJS's transaction manager (`producer/eosManager`), as far as this probe uses it. */
interface EosManager {
  initProducerId(): Promise<void>;
  getProducerId(): number;
  getProducerEpoch(): number;
  beginTransaction(): void;
  addPartitionsToTransaction(topics: { topic: string; partitions: { partition: number }[] }[]): Promise<void>;
  commit(): Promise<void>;
}

/** KafkaJS's Broker, as far as a produce request goes. */
interface BrokerConnection {
  produce(request: {
    producerId: number;
    producerEpoch: number;
    acks: number;
    timeout: number;
    topicData: {
      topic: string;
      partitions: {
        partition: number;
        firstSequence: number;
        messages: { key: string; value: string }[];
      }[];
    }[];
  }): Promise<{ topics: { partitions: { baseOffset: string }[] }[] }>;
}

/** KafkaJS's Cluster, as far as this probe uses it. */
interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Promise<Record<string, number[]>>;
  findBroker(by: { nodeId: string }): Promise<BrokerConnection>;
}

type CreateEosManager = (options: {
  logger: unknown;
  cluster: Cluster;
  transactionTimeout: number;
  transactional: boolean;
  transactionalId: string;
}) => EosManager;

interface Step {
  readonly step: string;
  readonly outcome: string;
}

const TOPICS = ['probe.journal', 'probe.events'] as const;

/** Sends one non-transactional record with `eos`'s producer id and epoch; says what the broker answered. */
function plainWriter(cluster: Cluster) {
  const sequences = new Map<string, number>();
  return async (eos: EosManager, topic: string, step: string): Promise<Step> => {
    const leaders = await cluster.findLeaderForPartitions(topic, [0]);
    const nodeId = Object.keys(leaders)[0];
    if (nodeId === undefined) throw new Error(`no leader for ${topic}`);
    const broker = await cluster.findBroker({ nodeId });
    const key = `${eos.getProducerId()}:${eos.getProducerEpoch()}:${topic}`;
    const firstSequence = sequences.get(key) ?? 0;
    try {
      const answer = await broker.produce({
        producerId: eos.getProducerId(),
        producerEpoch: eos.getProducerEpoch(),
        acks: -1,
        timeout: 5_000,
        topicData: [
          { topic, partitions: [{ partition: 0, firstSequence, messages: [{ key: 'k', value: step }] }] },
        ],
      });
      sequences.set(key, firstSequence + 1);
      return { step, outcome: `accepted at offset ${answer.topics[0]?.partitions[0]?.baseOffset}` };
    } catch (error) {
      const type = (error as { type?: unknown }).type;
      return { step, outcome: `rejected: ${typeof type === 'string' ? type : String(error)}` };
    }
  };
}

async function probe(bootstrap: string): Promise<Step[]> {
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  await admin.connect();
  const cluster = kafkajsCluster<Cluster>(kafka, {});
  try {
    await admin.createTopics({ topics: TOPICS.map((topic) => ({ topic, numPartitions: 1 })) });
    await cluster.connect();
    await cluster.addMultipleTargetTopics([...TOPICS]);
    const createEos = kafkajsModule<CreateEosManager>('producer/eosManager/index.js');
    const eos = () =>
      createEos({
        logger: kafka.logger(), // at logLevel NOTHING
        cluster,
        transactionTimeout: 60_000,
        transactional: true,
        transactionalId: 'probe.owner',
      });
    const plain = plainWriter(cluster);
    const [journal, events] = TOPICS;
    const old = eos();
    await old.initProducerId();
    const steps = [await plain(old, journal, 'old epoch, alone')];
    const newer = eos();
    await newer.initProducerId();
    steps.push(await plain(old, journal, 'old epoch, after the newer InitProducerId'));
    newer.beginTransaction();
    await newer.addPartitionsToTransaction(
      TOPICS.map((topic) => ({ topic, partitions: [{ partition: 0 }] })),
    );
    await newer.commit();
    await new Promise((resolve) => setTimeout(resolve, 500)); // the coordinator writes the markers
    steps.push(await plain(newer, journal, 'newer epoch, non-transactional'));
    steps.push(await plain(old, journal, 'old epoch, after the newer markers (journal)'));
    steps.push(await plain(old, events, 'old epoch, after the newer markers (events)'));
    return steps;
  } finally {
    await cluster.disconnect();
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  let broker: LocalBroker | undefined;
  try {
    broker = await startLocalBroker();
    const steps = await probe(broker.bootstrap);
    const outcome = (i: number) => steps[i]?.outcome ?? '';
    const report = {
      kafka: resolveDistribution().version,
      steps,
      acceptedBeforeNewerWrite: outcome(0).startsWith('accepted') && outcome(1).startsWith('accepted'),
      fencedAfterMarkers: [3, 4].every((i) => outcome(i) === 'rejected: INVALID_PRODUCER_EPOCH'),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await broker?.stop();
  }
}

await main();
