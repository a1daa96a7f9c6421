import { randomBytes } from 'node:crypto';

/*
 * Finished google.longrunning.Operation values for DeleteJob and CancelJob. The client unpacks
 * `response` and `metadata` (google.protobuf.Any) with its own decoders, so their bytes must be
 * real protobuf. The messages are tiny, so they are encoded here by hand rather than pulling in
 * a second protobuf runtime.
 */

interface AnyValue {
  typeUrl: string;
  value: Buffer;
}

function varint(value: number): number[] {
  const out: number[] = [];
  let v = BigInt(Math.max(0, Math.floor(value)));
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

const key = (field: number, wireType: number): number[] => varint((field << 3) | wireType);

function lengthDelimited(field: number, bytes: Buffer): number[] {
  return [...key(field, 2), ...varint(bytes.length), ...bytes];
}

function timestampBytes(ms: number): Buffer {
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  return Buffer.from([
    ...key(1, 0),
    ...varint(seconds),
    ...(nanos > 0 ? [...key(2, 0), ...varint(nanos)] : []),
  ]);
}

/** google.cloud.batch.v1.OperationMetadata: create_time=1, end_time=2, target=3, verb=4, api_version=7. */
function encodeOperationMetadata(m: {
  createdAt: number;
  endedAt: number;
  target: string;
  verb: string;
}): Buffer {
  return Buffer.from([
    ...lengthDelimited(1, timestampBytes(m.createdAt)),
    ...lengthDelimited(2, timestampBytes(m.endedAt)),
    ...lengthDelimited(3, Buffer.from(m.target, 'utf8')),
    ...lengthDelimited(4, Buffer.from(m.verb, 'utf8')),
    ...lengthDelimited(7, Buffer.from('v1', 'utf8')),
  ]);
}

export interface DoneOperation {
  name: string;
  done: true;
  metadata: AnyValue;
  response: AnyValue;
  error: null;
}

/**
 * A done operation for `verb` on `target` whose result is an empty message of `responseType`
 * (both DeleteJob's google.protobuf.Empty and CancelJob's CancelJobResponse have no fields).
 */
export function doneOperation(input: {
  parent: string;
  target: string;
  verb: string;
  responseType: string;
  at: number;
}): DoneOperation {
  return {
    name: `${input.parent}/operations/operation-${input.at}-${randomBytes(6).toString('hex')}`,
    done: true,
    metadata: {
      typeUrl: 'type.googleapis.com/google.cloud.batch.v1.OperationMetadata',
      value: encodeOperationMetadata({
        createdAt: input.at,
        endedAt: input.at,
        target: input.target,
        verb: input.verb,
      }),
    },
    response: { typeUrl: `type.googleapis.com/${input.responseType}`, value: Buffer.alloc(0) },
    error: null,
  };
}
