import { expect } from 'chai';
import { Responder } from '../../../../actors/dns/server/responder.js';
import {
  checkRateLimitOptions,
  clientPrefix,
  DEFAULT_RATE_LIMIT,
  type RateLimitOptions,
  type RateVerdict,
  ResponseRateLimit,
  responseKind,
  type ZoneOfAnswer,
} from '../../../../actors/dns/server/response-rate-limit.js';
import { RCODE, RR_CLASS } from '../../../../protocol/dns/wire/codes.js';
import { HEADER_BYTES } from '../../../../protocol/dns/wire/message.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import { decodeOk, exampleZones, makeQuery } from './helpers.js';

/**
 * Response rate limiting (actors/dns/server/response-rate-limit.ts) on answers the real
 * responder makes for the test zone; time is a number the test moves (the actor's clock).
 */
const zones = exampleZones();
const responder = new Responder({ identity: 'replica-1' });
const zoneOf: ZoneOfAnswer = (answer, qnameEnd) => {
  const labels: Uint8Array[] = [];
  for (let p = HEADER_BYTES; p < qnameEnd - 1; p += 1 + (answer[p] as number))
    labels.push(answer.subarray(p + 1, p + 1 + (answer[p] as number)));
  return zones.find(Name.fromLabels(labels), RR_CLASS.IN)?.apex.key;
};
const answerTo = (name: string, type: string, id = 1): Uint8Array =>
  responder.respond(makeQuery(name, type, { id }), 'udp', zones) as Uint8Array;

function limiter(options: Partial<RateLimitOptions> = {}): ResponseRateLimit {
  return new ResponseRateLimit({ ...DEFAULT_RATE_LIMIT, ...options });
}

/** The verdict kinds of `count` answers at `nowMs`. */
function run(rrl: ResponseRateLimit, client: string, answer: Uint8Array, count: number, nowMs: number) {
  const kinds: RateVerdict['kind'][] = [];
  for (let i = 0; i < count; i++) kinds.push(rrl.decide(client, answer, nowMs, zoneOf).kind);
  return kinds;
}

describe('dns/server/response-rate-limit: the token bucket', () => {
  it('lets responsesPerSecond through at once, then refills at that rate up to that many', () => {
    const rrl = limiter({ responsesPerSecond: 5, slip: 0 });
    const www = answerTo('www.example.', 'A');
    expect(run(rrl, '192.0.2.1', www, 6, 0)).to.deep.equal(['send', 'send', 'send', 'send', 'send', 'drop']);
    // 200 ms at 5 per second is one token.
    expect(run(rrl, '192.0.2.1', www, 2, 200)).to.deep.equal(['send', 'drop']);
    expect(run(rrl, '192.0.2.1', www, 1, 299)).to.deep.equal(['drop']);
    // Ten idle seconds refill to the cap (5), not to 50.
    expect(run(rrl, '192.0.2.1', www, 6, 10_299)).to.deep.equal([
      'send',
      'send',
      'send',
      'send',
      'send',
      'drop',
    ]);
    expect(rrl.counters()).to.include({ passed: 11, dropped: 4, slipped: 0 });
  });

  it('0 answers per second turns it off: everything is sent and nothing is remembered', () => {
    const rrl = limiter({ responsesPerSecond: 0 });
    expect(rrl.enabled).to.equal(false);
    expect(run(rrl, '192.0.2.1', answerTo('www.example.', 'A'), 1000, 0).every((k) => k === 'send')).to.equal(
      true,
    );
    expect(rrl.size).to.equal(0);
  });
});

describe('dns/server/response-rate-limit: slip', () => {
  it('slip 2 sends every second limited answer truncated and drops the others', () => {
    const rrl = limiter({ responsesPerSecond: 1, slip: 2 });
    const www = answerTo('www.example.', 'A');
    expect(run(rrl, '192.0.2.1', www, 7, 0)).to.deep.equal([
      'send',
      'drop',
      'slip',
      'drop',
      'slip',
      'drop',
      'slip',
    ]);
    expect(rrl.counters()).to.include({ passed: 1, dropped: 3, slipped: 3 });
  });

  it('slip 1 truncates every limited answer; slip 0 drops them all', () => {
    const www = answerTo('www.example.', 'A');
    expect(run(limiter({ responsesPerSecond: 1, slip: 1 }), '192.0.2.1', www, 4, 0)).to.deep.equal([
      'send',
      'slip',
      'slip',
      'slip',
    ]);
    expect(run(limiter({ responsesPerSecond: 1, slip: 0 }), '192.0.2.1', www, 4, 0)).to.deep.equal([
      'send',
      'drop',
      'drop',
      'drop',
    ]);
  });

  it('a slipped answer is the header and question with TC set: no larger than the query', () => {
    const rrl = limiter({ responsesPerSecond: 1, slip: 1 });
    const query = makeQuery('Big.example.', 'TXT', { id: 0x4242, rd: true });
    const big = responder.respond(query, 'udp', zones) as Uint8Array;
    rrl.decide('192.0.2.1', big, 0, zoneOf);
    const verdict = rrl.decide('192.0.2.1', big, 0, zoneOf);
    if (verdict.kind !== 'slip') expect.fail(`expected a slip, got ${verdict.kind}`);
    expect(verdict.bytes.length).to.equal(query.length).and.below(big.length);
    const m = decodeOk(verdict.bytes);
    expect(m.id).to.equal(0x4242);
    expect(m.flags).to.include({ qr: true, tc: true, rd: true, rcode: RCODE.NOERROR });
    expect(m.questions.map((q) => q.name.toString())).to.deep.equal(['Big.example.']);
    expect(m.answers.length + m.authorities.length + m.additionals.length).to.equal(0);
  });
});

describe('dns/server/response-rate-limit: buckets', () => {
  it('groups clients by /24 (IPv4, IPv4-mapped IPv6 included) and /56 (IPv6)', () => {
    expect(clientPrefix('192.0.2.1')).to.equal(clientPrefix('192.0.2.254'));
    expect(clientPrefix('192.0.2.1')).to.equal(clientPrefix('::ffff:192.0.2.9'));
    expect(clientPrefix('192.0.2.1')).to.not.equal(clientPrefix('192.0.3.1'));
    expect(clientPrefix('2001:db8:0:100::1')).to.equal(clientPrefix('2001:db8:0:1ff:ffff::1'));
    expect(clientPrefix('2001:db8:0:100::1')).to.not.equal(clientPrefix('2001:db8:0:200::1'));
    expect(clientPrefix('not an address')).to.equal(undefined);

    const rrl = limiter({ responsesPerSecond: 2, slip: 0 });
    const www = answerTo('www.example.', 'A');
    expect(run(rrl, '192.0.2.1', www, 2, 0)).to.deep.equal(['send', 'send']);
    expect(run(rrl, '192.0.2.77', www, 1, 0)).to.deep.equal(['drop']);
    expect(run(rrl, '192.0.3.1', www, 1, 0)).to.deep.equal(['send']);
  });

  it('classifies answers: by name and type, NXDOMAIN and referrals by zone, every error in one', () => {
    expect(responseKind(answerTo('www.example.', 'A'))).to.equal('answer');
    expect(responseKind(answerTo('www.example.', 'TXT'))).to.equal('answer'); // NODATA
    expect(responseKind(answerTo('nope.example.', 'A'))).to.equal('nxdomain');
    expect(responseKind(answerTo('x.child.example.', 'A'))).to.equal('referral');
    expect(responseKind(answerTo('elsewhere.', 'A'))).to.equal('error'); // REFUSED

    const rrl = limiter({ responsesPerSecond: 1, slip: 0 });
    const client = '198.51.100.7';
    // Each name and type its own bucket, whatever the case of the question (0x20).
    expect(run(rrl, client, answerTo('www.example.', 'A'), 1, 0)).to.deep.equal(['send']);
    expect(run(rrl, client, answerTo('WWW.Example.', 'A'), 1, 0)).to.deep.equal(['drop']);
    expect(run(rrl, client, answerTo('www.example.', 'AAAA'), 1, 0)).to.deep.equal(['send']);
    // Random names under one zone: one NXDOMAIN bucket.
    expect(run(rrl, client, answerTo('r1.example.', 'A'), 1, 0)).to.deep.equal(['send']);
    expect(run(rrl, client, answerTo('r2.example.', 'A'), 1, 0)).to.deep.equal(['drop']);
    // Referrals below one zone share a bucket.
    expect(run(rrl, client, answerTo('a.child.example.', 'A'), 1, 0)).to.deep.equal(['send']);
    expect(run(rrl, client, answerTo('b.child.example.', 'MX'), 1, 0)).to.deep.equal(['drop']);
    // Errors: one bucket per prefix for every question.
    expect(run(rrl, client, answerTo('elsewhere.', 'A'), 1, 0)).to.deep.equal(['send']);
    expect(run(rrl, client, answerTo('other.org.', 'TXT'), 1, 0)).to.deep.equal(['drop']);
    expect(
      run(rrl, client, responder.errorResponse(makeQuery('x.', 'A'), RCODE.SERVFAIL) as Uint8Array, 1, 0),
    ).to.deep.equal(['drop']);
  });

  it('keeps at most tableEntries buckets, evicting one not used lately (CLOCK, second chance)', () => {
    const rrl = limiter({ responsesPerSecond: 1, slip: 0, tableEntries: 3 });
    const www = answerTo('www.example.', 'A');
    for (const client of ['10.0.1.1', '10.0.2.1', '10.0.3.1'])
      expect(run(rrl, client, www, 1, 0)).to.deep.equal(['send']);
    expect(run(rrl, '10.0.1.1', www, 1, 0)).to.deep.equal(['drop']); // 10.0.1/24 is now the most recent
    expect(run(rrl, '10.0.4.1', www, 1, 0)).to.deep.equal(['send']); // evicts 10.0.2/24
    expect(rrl.size).to.equal(3);
    expect(rrl.counters().evictions).to.equal(1);
    expect(run(rrl, '10.0.3.1', www, 1, 0)).to.deep.equal(['drop']); // still remembered
    expect(run(rrl, '10.0.2.1', www, 1, 0)).to.deep.equal(['send']); // forgotten: back with a full bucket
    expect(rrl.size).to.equal(3);
  });

  it('rejects options out of range', () => {
    for (const bad of [
      { responsesPerSecond: -1 },
      { responsesPerSecond: 1.5 },
      { slip: 11 },
      { tableEntries: 0 },
      { tableEntries: 10_000_000 },
    ])
      expect(() => checkRateLimitOptions({ ...DEFAULT_RATE_LIMIT, ...bad }), JSON.stringify(bad)).to.throw(
        RangeError,
      );
  });
});
