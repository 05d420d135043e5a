import { expect } from 'chai';
import { parseZoneFile, renderZoneFile } from '../../protocol/dns/master-file/zone-file.js';
import { CpuPool } from '../../runtime/cpu-pool.js';

const ZONE = 'example.org.';

function zoneText(hosts: number): string {
  const lines = ['$TTL 300', '@ SOA ns1 hostmaster 1 7200 3600 1209600 300', '@ NS ns1', 'ns1 A 192.0.2.53'];
  for (let i = 0; i < hosts; i++) lines.push(`host${i} A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  return `${lines.join('\n')}\n`;
}

describe('CpuPool (piscina)', function () {
  this.timeout(60_000);

  it('parses a zone file on a pool thread, its bytes transferred, as the same code on this thread does', async () => {
    const pool = new CpuPool({ maxThreads: 1, maxQueue: 8 });
    try {
      const text = zoneText(2000);
      const bytes = new TextEncoder().encode(text).buffer as ArrayBuffer;
      const parsed = await pool.run(
        { kind: 'parse-zone-file', bytes, file: 'zone.db', zone: ZONE },
        { timeoutMs: 30_000, transfer: [bytes] },
      );
      expect(bytes.byteLength).to.equal(0);
      expect(parsed).to.deep.equal(parseZoneFile(text, 'zone.db', ZONE));
      if (!parsed.ok) throw new Error(parsed.text);
      expect(parsed.rrsets).to.have.length(2003);
      const rendered = await pool.run(
        { kind: 'render-zone-file', zone: ZONE, rrsets: parsed.rrsets, comments: ['test'] },
        { timeoutMs: 30_000 },
      );
      expect(rendered).to.equal(renderZoneFile(ZONE, parsed.rrsets, ['test']));
    } finally {
      await pool.close();
    }
  });

  it('returns a parse error naming file, line and column', async () => {
    const pool = new CpuPool({ maxThreads: 1, maxQueue: 8 });
    try {
      const bytes = new TextEncoder().encode(`${zoneText(1)}www IN AAA 1\n`).buffer as ArrayBuffer;
      const parsed = await pool.run(
        { kind: 'parse-zone-file', bytes, file: 'bad.db', zone: ZONE },
        { timeoutMs: 30_000, transfer: [bytes] },
      );
      expect(parsed.ok).to.equal(false);
      if (parsed.ok) return;
      expect(parsed.text).to.equal("bad.db:6:8: unknown type 'AAA'");
    } finally {
      await pool.close();
    }
  });

  it('refuses work beyond its queue bound', async () => {
    const pool = new CpuPool({ maxThreads: 1, maxQueue: 1 });
    try {
      const text = zoneText(20_000);
      const runs = Array.from({ length: 6 }, () =>
        pool
          .run(
            {
              kind: 'parse-zone-file',
              bytes: new TextEncoder().encode(text).buffer as ArrayBuffer,
              file: 'zone.db',
              zone: ZONE,
            },
            { timeoutMs: 30_000 },
          )
          .then(
            () => 'done',
            (error: Error) => error.message,
          ),
      );
      const outcomes = await Promise.all(runs);
      expect(outcomes.slice(0, 2)).to.deep.equal(['done', 'done']);
      for (const refused of outcomes.slice(2)) expect(refused).to.match(/refusing more/);
      expect(pool.tasksInFlight).to.equal(0);
    } finally {
      await pool.close();
    }
  });
});
