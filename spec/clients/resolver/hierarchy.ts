/**
 * A small DNS tree served by real listeners on loopback addresses 127.0.53.x, all on one
 * port (the first server binds port 0, the others that port number): two roots, `org.`
 * twice (once delegating `wikipedia.org.` with glue, once without, its NS name living in
 * `net.`), `net.`, `wikimedia.net.`, `wikipedia.org.` with data, a cross-zone CNAME chain,
 * a big RRset, lame, dead, upward, self-referring and mutually glueless delegations.
 *
 *   127.0.53.1  root 1: `.` (org. -> .2, net. -> .3)
 *   127.0.53.2  org. 1: wikipedia.org. with glue, flaky.org. (lame, dead, good servers),
 *               lame.org., up.org. (a root: upward referral), loopy.org. (itself), dead.org.
 *   127.0.53.3  net.: wikimedia.net. with glue, ns0.wikipedia-dns.net. A .4
 *   127.0.53.4  wikipedia.org., flaky.org.
 *   127.0.53.5  wikimedia.net.
 *   127.0.53.6  org. 2: wikipedia.org. NS ns0.wikipedia-dns.net. (no glue), loopa/loopb.org.
 *   127.0.53.7  root 2: `.` (org. -> .6, net. -> .3)
 *   127.0.53.9  a server for `other.` only: REFUSED for everything here
 *   127.0.53.10 nothing listens
 */

import { Responder } from '../../../actors/dns/server/responder.js';
import { ZoneSet } from '../../../actors/dns/zone/lookup.js';
import { zone } from '../../actors/dns/zone/helpers.js';
import { DnsListeners } from '../../fixtures/dns-listeners.js';

export const ROOT1 = '127.0.53.1';
export const ORG1 = '127.0.53.2';
export const NET = '127.0.53.3';
export const WIKIPEDIA = '127.0.53.4';
export const WIKIMEDIA = '127.0.53.5';
export const ORG2 = '127.0.53.6';
export const ROOT2 = '127.0.53.7';
export const LAME = '127.0.53.9';
export const DEAD = '127.0.53.10';

const SOA = 'SOA ns hostmaster 1 7200 3600 1209600 300';

function root(orgAddress: string): string[] {
  return [
    `@ 3600 ${SOA}`,
    '@ 3600 NS ns.root.',
    `ns.root. 3600 A ${ROOT1}`,
    'org. 3600 NS ns1.org.',
    `ns1.org. 3600 A ${orgAddress}`,
    'net. 3600 NS ns1.net.',
    `ns1.net. 3600 A ${NET}`,
  ];
}

const BIG_TXT = Array.from(
  { length: 30 },
  (_, i) => `big 300 TXT "${String(i).padStart(2, '0')}${'x'.repeat(98)}"`,
);

/** Zones by server address. */
function zonesByServer(): Map<string, ZoneSet> {
  return new Map([
    [ROOT1, new ZoneSet([zone('.', root(ORG1))])],
    [ROOT2, new ZoneSet([zone('.', root(ORG2))])],
    [
      ORG1,
      new ZoneSet([
        zone('org.', [
          `@ 3600 ${SOA}`,
          '@ 3600 NS ns1',
          `ns1 3600 A ${ORG1}`,
          'wikipedia 3600 NS ns1.wikipedia',
          `ns1.wikipedia 3600 A ${WIKIPEDIA}`,
          'flaky 3600 NS a.flaky',
          'flaky 3600 NS b.flaky',
          'flaky 3600 NS c.flaky',
          `a.flaky 3600 A ${LAME}`,
          `b.flaky 3600 A ${DEAD}`,
          `c.flaky 3600 A ${WIKIPEDIA}`,
          'lame 3600 NS ns.lame',
          `ns.lame 3600 A ${LAME}`,
          'up 3600 NS ns.up',
          `ns.up 3600 A ${ROOT1}`,
          'loopy 3600 NS ns.loopy',
          `ns.loopy 3600 A ${ORG1}`,
          'dead 3600 NS ns.dead',
          `ns.dead 3600 A ${DEAD}`,
        ]),
      ]),
    ],
    [
      ORG2,
      new ZoneSet([
        zone('org.', [
          `@ 3600 ${SOA}`,
          '@ 3600 NS ns1',
          `ns1 3600 A ${ORG2}`,
          'wikipedia 3600 NS ns0.wikipedia-dns.net.',
          'loopa 3600 NS ns.loopb',
          'loopb 3600 NS ns.loopa',
        ]),
      ]),
    ],
    [
      NET,
      new ZoneSet([
        zone('net.', [
          `@ 3600 ${SOA}`,
          '@ 3600 NS ns1',
          `ns1 3600 A ${NET}`,
          'wikimedia 3600 NS ns.wikimedia',
          `ns.wikimedia 3600 A ${WIKIMEDIA}`,
          `ns0.wikipedia-dns 3600 A ${WIKIPEDIA}`,
        ]),
      ]),
    ],
    [
      WIKIPEDIA,
      new ZoneSet([
        zone('wikipedia.org.', [
          `@ 3600 ${SOA}`,
          '@ 3600 NS ns1',
          '@ 3600 NS ns0.wikipedia-dns.net.',
          `ns1 3600 A ${WIKIPEDIA}`,
          'www 300 A 103.102.166.224',
          'en 300 CNAME www',
          'm 300 CNAME mobile.wikimedia.net.',
          'loop1 300 CNAME loop2.wikimedia.net.',
          'text 300 TXT "no address here"',
          ...BIG_TXT,
        ]),
        zone('flaky.org.', [`@ 3600 ${SOA}`, '@ 3600 NS c', `c 3600 A ${WIKIPEDIA}`, 'www 300 A 192.0.2.7']),
      ]),
    ],
    [
      WIKIMEDIA,
      new ZoneSet([
        zone('wikimedia.net.', [
          `@ 3600 ${SOA}`,
          '@ 3600 NS ns',
          `ns 3600 A ${WIKIMEDIA}`,
          'mobile 300 CNAME mobile-lb',
          'mobile-lb 300 A 103.102.166.225',
          'loop2 300 CNAME loop1.wikipedia.org.',
        ]),
      ]),
    ],
    [LAME, new ZoneSet([zone('other.', [`@ 3600 ${SOA}`, '@ 3600 NS ns', `ns 3600 A ${LAME}`])])],
  ]);
}

export class Hierarchy {
  private constructor(
    readonly port: number,
    readonly listeners: readonly DnsListeners[],
  ) {}

  static async start(): Promise<Hierarchy> {
    const servers = [...zonesByServer()];
    const listeners: DnsListeners[] = [];
    let port = 0;
    try {
      for (const [address, zones] of servers) {
        const responder = new Responder({ identity: `server-${address}` });
        const started = await DnsListeners.start({
          addresses: [`${address}:${port}`],
          handler: (query, transport) => responder.respond(query, transport, zones),
        });
        listeners.push(started);
        port = started.bound[0]?.port as number;
      }
    } catch (error) {
      await Promise.all(listeners.map((l) => l.close()));
      throw error;
    }
    return new Hierarchy(port, listeners);
  }

  /** Queries answered over TCP by every server (for the TC test). */
  tcpQueries(): number {
    return this.listeners.reduce((sum, l) => sum + l.counters().tcp.queries, 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.listeners.map((l) => l.close()));
  }
}
