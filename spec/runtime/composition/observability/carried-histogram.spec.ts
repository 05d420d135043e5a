/**
 * Actor histograms (runtime/bucket-counts.ts) carried across actor restarts and printed
 * as Prometheus histograms (carried-histogram.ts), and the DNS actor's per-query counts
 * (actors/dns/server/dns-traffic.ts) on hand-built messages.
 */
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { DnsTraffic, QUERY_TYPE_LABELS, RCODE_LABELS } from '../../../../actors/dns/server/dns-traffic.js';
import { RCODE } from '../../../../protocol/dns/wire/codes.js';
import { BucketCounts, powersOfTwo } from '../../../../runtime/bucket-counts.js';
import {
  ActorHistogramMetric,
  CarriedHistogram,
} from '../../../../runtime/composition/observability/carried-histogram.js';

/** A DNS message: header with `rcode` and one question `name`/`qtype` (IN). */
function dnsMessage(name: string, qtype: number, rcode = 0): Uint8Array {
  const labels = name.split('.').filter((l) => l.length > 0);
  const bytes: number[] = [0x12, 0x34, 0x81, rcode, 0, 1, 0, 0, 0, 0, 0, 0];
  for (const label of labels) bytes.push(label.length, ...Buffer.from(label, 'ascii'));
  bytes.push(0, qtype >> 8, qtype & 0xff, 0, 1);
  return Uint8Array.from(bytes);
}

describe('bucket counts kept by an actor', () => {
  it('puts each value in the first bucket whose bound holds it (le), the rest in +Inf', () => {
    const h = new BucketCounts([1, 2, 4]);
    for (const value of [0, 1, 1.5, 2, 3, 4, 5, 100, Number.NaN]) h.observe(value);
    expect(h.reading()).to.deep.equal({ bounds: [1, 2, 4], counts: [2, 2, 2, 2], sum: 116.5, count: 8 });
  });

  it('refuses bounds that do not ascend, are not finite, or are too many', () => {
    expect(() => new BucketCounts([2, 1])).to.throw(RangeError);
    expect(() => new BucketCounts([1, Number.POSITIVE_INFINITY])).to.throw(RangeError);
    expect(() => new BucketCounts([])).to.throw(RangeError);
    expect(() => new BucketCounts(powersOfTwo(2 ** 40).concat([2 ** 41]))).to.throw(RangeError);
    expect(powersOfTwo(16)).to.deep.equal([1, 2, 4, 8, 16]);
  });
});

describe('histograms carried across actor restarts', () => {
  it('adds what each reading holds beyond the last, and all of a reading after a restart', () => {
    const actor = new BucketCounts([1, 10]);
    const carried = new CarriedHistogram();
    actor.observe(0.5);
    actor.observe(5);
    carried.advance(actor.reading());
    actor.observe(50);
    carried.advance(actor.reading());
    carried.advance(actor.reading()); // nothing new
    expect(carried.cumulative()).to.deep.equal({
      le: [
        ['1', 1],
        ['10', 2],
        ['+Inf', 3],
      ],
      sum: 55.5,
      count: 3,
    });
    // The actor restarts: its counts start over, fewer in one bucket than before.
    const restarted = new BucketCounts([1, 10]);
    restarted.observe(2);
    restarted.observe(3);
    restarted.observe(4);
    restarted.observe(6);
    carried.advance(restarted.reading());
    const after = carried.cumulative();
    expect(after?.le).to.deep.equal([
      ['1', 1],
      ['10', 6],
      ['+Inf', 7],
    ]);
    expect(after?.count).to.equal(7);
    expect(after?.sum).to.equal(55.5 + 15);
  });

  it('refuses a reading whose bounds differ from the first', () => {
    const carried = new CarriedHistogram();
    carried.advance(new BucketCounts([1, 10]).reading());
    expect(() => carried.advance(new BucketCounts([1, 100]).reading())).to.throw(/bounds changed/);
  });

  it('prints _bucket, _sum and _count per label set in the exposition', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ replica: 'r1' });
    const metric = new ActorHistogramMetric('test_size_bytes', 'Sizes.', registry);
    const udp = new BucketCounts([100, 1000]);
    udp.observe(60);
    udp.observe(600);
    metric.advance(udp.reading(), { transport: 'udp' });
    metric.advance(new BucketCounts([100, 1000]).reading(), { transport: 'tcp' });
    const text = await registry.metrics();
    expect(text).to.include('# TYPE test_size_bytes histogram');
    expect(text).to.include('test_size_bytes_bucket{transport="udp",le="100",replica="r1"} 1');
    expect(text).to.include('test_size_bytes_bucket{transport="udp",le="1000",replica="r1"} 2');
    expect(text).to.include('test_size_bytes_bucket{transport="udp",le="+Inf",replica="r1"} 2');
    expect(text).to.include('test_size_bytes_sum{transport="udp",replica="r1"} 660');
    expect(text).to.include('test_size_bytes_count{transport="udp",replica="r1"} 2');
    expect(text).to.include('test_size_bytes_count{transport="tcp",replica="r1"} 0');
  });
});

describe('DNS traffic counts', () => {
  const slot = (labels: readonly string[], label: string) => labels.indexOf(label);

  it('counts queries by question type, unknown and unreadable ones as other', () => {
    const traffic = new DnsTraffic();
    traffic.queryArrived(dnsMessage('www.example.', 1));
    traffic.queryArrived(dnsMessage('www.example.', 28));
    traffic.queryArrived(dnsMessage('example.', 16));
    traffic.queryArrived(dnsMessage('example.', 65));
    traffic.queryArrived(dnsMessage('example.', 99)); // SPF: not in the list
    traffic.queryArrived(Uint8Array.of(1, 2, 3)); // no question at all
    const counts = traffic.reading().queryTypes;
    expect(counts[slot(QUERY_TYPE_LABELS, 'A')]).to.equal(1);
    expect(counts[slot(QUERY_TYPE_LABELS, 'AAAA')]).to.equal(1);
    expect(counts[slot(QUERY_TYPE_LABELS, 'TXT')]).to.equal(1);
    expect(counts[slot(QUERY_TYPE_LABELS, 'HTTPS')]).to.equal(1);
    expect(counts[slot(QUERY_TYPE_LABELS, 'other')]).to.equal(2);
    expect(counts.reduce((a, b) => a + b, 0)).to.equal(6);
  });

  it('labels rcode slot n with the name of rcode n', () => {
    for (const [code, name] of RCODE_LABELS.entries())
      if (name !== 'other') expect(RCODE[name], name).to.equal(code);
  });

  it('counts answers by rcode and their sizes by transport', () => {
    const traffic = new DnsTraffic();
    const nx = dnsMessage('nothing.example.', 1, 3);
    traffic.answered(nx, 'udp');
    traffic.answered(dnsMessage('elsewhere.', 1, 5), 'tcp');
    traffic.answered(dnsMessage('x.', 1, 0), 'udp');
    traffic.answered(dnsMessage('x.', 1, 13), 'udp'); // no name for 13
    const reading = traffic.reading();
    expect(reading.rcodes[slot(RCODE_LABELS, 'NXDOMAIN')]).to.equal(1);
    expect(reading.rcodes[slot(RCODE_LABELS, 'REFUSED')]).to.equal(1);
    expect(reading.rcodes[slot(RCODE_LABELS, 'NOERROR')]).to.equal(1);
    expect(reading.rcodes[slot(RCODE_LABELS, 'other')]).to.equal(1);
    expect(reading.udpResponseBytes.count).to.equal(3);
    expect(reading.tcpResponseBytes.count).to.equal(1);
    expect(reading.udpResponseBytes.sum).to.equal(nx.length + 2 * dnsMessage('x.', 1).length);
  });
});
