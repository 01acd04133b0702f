import { crc32 } from 'node:zlib';

/**
 * One message of the AWS event-stream encoding (`application/vnd.amazon.eventstream`), the
 * framing ConverseStream answers in: a prelude (total length, headers length, their CRC32), string
 * headers, the payload, and a CRC32 of everything before it. Written from the format's description
 * rather than with the SDK's own codec, so that a test feeding these bytes to the SDK checks the
 * SDK's decoding against the format, not against itself.
 */
export function eventStreamMessage(headers: Record<string, string>, payload: string): Buffer {
  const STRING = 7;
  const encodedHeaders = Buffer.concat(
    Object.entries(headers).map(([name, value]) => {
      const nameBytes = Buffer.from(name, 'utf8');
      const valueBytes = Buffer.from(value, 'utf8');
      const head = Buffer.alloc(1 + nameBytes.length + 3);
      head.writeUInt8(nameBytes.length, 0);
      nameBytes.copy(head, 1);
      head.writeUInt8(STRING, 1 + nameBytes.length);
      head.writeUInt16BE(valueBytes.length, 2 + nameBytes.length);
      return Buffer.concat([head, valueBytes]);
    }),
  );
  const body = Buffer.from(payload, 'utf8');
  const prelude = Buffer.alloc(12);
  prelude.writeUInt32BE(12 + encodedHeaders.length + body.length + 4, 0);
  prelude.writeUInt32BE(encodedHeaders.length, 4);
  prelude.writeUInt32BE(crc32(prelude.subarray(0, 8)), 8);
  const message = Buffer.concat([prelude, encodedHeaders, body]);
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(crc32(message), 0);
  return Buffer.concat([message, trailer]);
}

/** A ConverseStream event (`{ contentBlockDelta: {...} }`) as the frame Bedrock sends for it. */
export function converseStreamEvent(event: Record<string, unknown>): Buffer {
  const [[type, body] = ['', {}]] = Object.entries(event);
  return eventStreamMessage(
    { ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' },
    JSON.stringify(body),
  );
}

/** An exception inside the stream (throttling, a model error), as Bedrock frames it. */
export function converseStreamException(type: string, message: string): Buffer {
  return eventStreamMessage(
    { ':exception-type': type, ':content-type': 'application/json', ':message-type': 'exception' },
    JSON.stringify({ message }),
  );
}
