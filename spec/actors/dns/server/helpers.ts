import { expect } from 'chai';
import { ZoneSet } from '../../../../actors/dns/zone/lookup.js';
import { parseRrType, RR_CLASS } from '../../../../protocol/dns/wire/codes.js';
import {
  decodeMessage,
  type Edns,
  encodeMessage,
  type Message,
} from '../../../../protocol/dns/wire/message.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import { queryFlags, queryMessage } from '../../../fixtures/dns-query.js';
import { zone } from '../zone/helpers.js';

export interface QueryOptions {
  readonly id?: number;
  readonly rd?: boolean;
  readonly cd?: boolean;
  readonly rrClass?: number;
  readonly opcode?: number;
  /** An OPT record (fields default to payload 1232, version 0, DO clear, no options). */
  readonly edns?: Partial<Edns>;
}

/** A query's bytes, encoded by the codec. */
export function makeQuery(name: string, type: string | number, options: QueryOptions = {}): Uint8Array {
  const t = typeof type === 'number' ? type : parseRrType(type);
  if (t === undefined) expect.fail(`bad type ${type}`);
  const edns: Edns | undefined =
    options.edns === undefined
      ? undefined
      : { udpPayloadSize: 1232, extendedRcode: 0, version: 0, dnssecOk: false, options: [], ...options.edns };
  const message = queryMessage({
    id: options.id ?? 0x1234,
    flags: queryFlags({ opcode: options.opcode ?? 0, rd: options.rd ?? false, cd: options.cd ?? false }),
    questions: [{ name: Name.parse(name), type: t, class: options.rrClass ?? RR_CLASS.IN }],
    ...(edns === undefined ? {} : { edns }),
  });
  return encodeMessage(message, { compress: false }).bytes;
}

export function decodeOk(bytes: Uint8Array | null): Message {
  expect(bytes, 'a response').to.not.equal(null);
  const decoded = decodeMessage(bytes as Uint8Array);
  if (!decoded.ok) expect.fail(`response does not decode: ${decoded.error.message}`);
  return decoded.message;
}

const BIG_TXT = Array.from(
  { length: 30 },
  (_, i) => `big 300 TXT "${String(i).padStart(2, '0')}${'x'.repeat(98)}"`,
);

/** The test zone `example.`: data, a CNAME chain, wildcards, a delegation with glue, a big RRset. */
export function exampleZones(): ZoneSet {
  return new ZoneSet([
    zone('example.', [
      '@ 3600 SOA ns1 hostmaster 1 7200 3600 1209600 300',
      '@ 3600 NS ns1',
      '@ 3600 NS ns2.example.net.',
      '@ 3600 MX 10 mail',
      'ns1 3600 A 192.0.2.53',
      'www 300 A 192.0.2.1',
      'www 300 AAAA 2001:db8::1',
      'alias 300 CNAME www',
      'chain 300 CNAME alias',
      'away 300 CNAME www.example.net.',
      '*.wild 300 TXT "wild"',
      'child 3600 NS ns.child',
      'child 3600 NS ns1',
      'ns.child 3600 A 192.0.2.10',
      ...BIG_TXT,
    ]),
  ]);
}
