/**
 * The stream client a `kafka` or `nats` source definition names: a definition carries the adapter's
 * options under their own names (brokers, topic, clientId, ssl, sasl; servers, stream, subject,
 * user, pass, token), so it is handed over as it is.
 */
import { openKafkaStream } from '../../streams/kafka-stream.ts';
import { openNatsStream } from '../../streams/nats-stream.ts';
import type { StreamClient } from '../../streams/stream-port.ts';
import type { KafkaSource, NatsSource } from '../definition.ts';

export function streamOpener(def: KafkaSource | NatsSource): () => Promise<StreamClient> {
  return def.kind === 'kafka' ? () => openKafkaStream(def) : () => openNatsStream(def);
}
