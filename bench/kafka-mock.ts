/**
 * A mock Kafka cluster for the bench's stream step (stream.ts) and the test suites (through
 * test/support/brokers.ts): librdkafka's mock cluster, started by Debian's `kcat` (apt-get install -y
 * kcat). `kcat` in consumer mode with `test.mock.num.brokers`
 * ignores its bootstrap servers, says on stderr where the mock listens, and serves as long as it
 * runs; topics are created (4 partitions) on their first produce.
 */
import { spawn } from 'node:child_process';

/** A running mock Kafka cluster. */
export interface KafkaMock {
  /** The bootstrap broker, `127.0.0.1:PORT`. */
  readonly brokers: string;
  /** The kcat process (its RSS holds the topics' messages). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts a one-broker mock cluster; stop it when done. `whatFor` ends the message when kcat is
 * missing (who needs it, and what else to do).
 */
export async function startKafkaMock(whatFor = 'the stream step runs a mock Kafka cluster with it; or --broker nats'): Promise<KafkaMock> {
  const kcat = spawn('kcat', ['-b', '127.0.0.1:1', '-X', 'test.mock.num.brokers=1', '-C', '-t', 'tidemark_boot'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => kcat.once('close', () => resolve()));
  const brokers = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`kcat did not start a mock Kafka cluster within 10 s; its stderr: ${seen}`)), 10_000);
    kcat.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(error.code === 'ENOENT' ? new Error(`kcat is not installed: apt-get install -y kcat (${whatFor})`, { cause: error }) : error);
    });
    kcat.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kcat exited (code ${code}) before starting a mock Kafka cluster; its stderr: ${seen}`));
    });
    // kcat keeps writing "Reached end of topic" lines: stderr is read to the end, only the start kept.
    kcat.stderr.on('data', (chunk: Buffer) => {
      if (seen.length < 4096) seen += chunk.toString('utf8');
      const match = /replaced with (127\.0\.0\.1:\d+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
  });
  return {
    brokers,
    pid: kcat.pid,
    stop: async () => {
      if (kcat.exitCode === null && kcat.signalCode === null) kcat.kill('SIGTERM');
      await exited;
    },
  };
}
