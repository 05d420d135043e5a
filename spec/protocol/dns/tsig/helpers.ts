import type { TsigAlgorithm } from '../../../../protocol/dns/tsig/algorithm.js';
import { makeTsigKey, type TsigKey } from '../../../../protocol/dns/tsig/key.js';
import { RR_CLASS } from '../../../../protocol/dns/wire/codes.js';
import { encodeMessage } from '../../../../protocol/dns/wire/message.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import type { ResourceRecord } from '../../../../protocol/dns/wire/record.js';
import { queryFlags, queryMessage } from '../../../fixtures/dns-query.js';

export function testKey(algorithm: TsigAlgorithm = 'hmac-sha256', name = 'test.key.'): TsigKey {
  const secret = new Uint8Array(32).map((_, i) => (i * 37 + algorithm.length) & 0xff);
  return makeTsigKey(Name.parse(name), secret, algorithm);
}

/** An encoded query for `name`/A with the given extra records. */
export function query(
  options: { id?: number; answers?: ResourceRecord[]; additionals?: ResourceRecord[]; edns?: boolean } = {},
): Uint8Array {
  const message = queryMessage({
    id: options.id ?? 0x4242,
    flags: queryFlags({ rd: true }),
    answers: options.answers ?? [],
    additionals: options.additionals ?? [],
    ...(options.edns === true
      ? { edns: { udpPayloadSize: 1232, extendedRcode: 0, version: 0, dnssecOk: false, options: [] } }
      : {}),
  });
  return encodeMessage(message, { compress: true }).bytes;
}

export const A_RECORD: ResourceRecord = {
  name: Name.parse('x.example.'),
  type: 1,
  class: RR_CLASS.IN,
  ttl: 60,
  rdata: { kind: 'A', address: '192.0.2.1' },
};
