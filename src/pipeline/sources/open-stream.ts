/** The stream client a `kafka` or `nats` source definition names. */
import { openKafkaStream } from '../../streams/kafka-stream.ts';
import { openNatsStream } from '../../streams/nats-stream.ts';
import type { StreamClient } from '../../streams/stream-port.ts';
import type { KafkaSource, NatsSource } from '../definition.ts';

export function streamOpener(def: KafkaSource | NatsSource): () => Promise<StreamClient> {
  if (def.kind === 'kafka') {
    return () =>
      openKafkaStream({
        brokers: def.brokers,
        topic: def.topic,
        ...(def.clientId === undefined ? {} : { clientId: def.clientId }),
        ...(def.ssl === undefined ? {} : { ssl: def.ssl }),
        ...(def.sasl === undefined ? {} : { sasl: def.sasl }),
      });
  }
  return () =>
    openNatsStream({
      servers: def.servers,
      stream: def.stream,
      ...(def.subject === undefined ? {} : { subject: def.subject }),
      ...(def.user === undefined ? {} : { user: def.user }),
      ...(def.pass === undefined ? {} : { pass: def.pass }),
      ...(def.token === undefined ? {} : { token: def.token }),
    });
}
