import { expect } from 'chai';
import {
  NOTIFY_RETRANSMISSIONS_MAX,
  NotifyDesk,
  type NotifyZone,
} from '../../../../actors/dns/notify/notify-desk.js';
import { readNotifyAnswer } from '../../../../protocol/dns/notify.js';
import { TransferAcl } from '../../../../protocol/dns/transfer-acl.js';
import { OPCODE, RCODE } from '../../../../protocol/dns/wire/codes.js';
import { decodeMessage, encodeMessage } from '../../../../protocol/dns/wire/message.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import type { SoaRdata } from '../../../../protocol/dns/wire/rdata.js';

const APEX = Name.parse('example.org.');

function harness(options: { leader?: boolean } = {}) {
  let now = 1_000_000;
  let serial = 7;
  let leader = options.leader ?? true;
  let nextId = 100;
  const sent: Array<{ to: string; bytes: Uint8Array }> = [];
  const warnings: string[] = [];
  const zone = (): NotifyZone => ({
    apex: APEX,
    soa: {
      ttl: 60,
      rdata: {
        kind: 'SOA',
        mname: Name.parse('ns1.example.org.'),
        rname: Name.parse('h.example.org.'),
        serial,
        refresh: 3600,
        retry: 600,
        expire: 86400,
        minimum: 60,
      } as unknown as SoaRdata,
    },
  });
  const desk = new NotifyDesk({
    nowMs: () => now,
    nextId: () => nextId++,
    isLeader: () => leader,
    zone: (apex) => (apex.key === APEX.key ? zone() : undefined),
    keyring: () => new Map(),
    send: (target, bytes) => sent.push({ to: target.id, bytes }),
    warn: (_fields, text) => warnings.push(text),
  });
  const { acl } = TransferAcl.from([
    { zone: 'example.org.', keys: [], prefixes: [], notify: [{ address: '192.0.2.1', port: 5300 }] },
  ]);
  desk.setTargets(acl.notifyTargets());
  const reply = (bytes: Uint8Array, rcode: number = RCODE.NOERROR) => {
    const decoded = decodeMessage(bytes);
    if (!decoded.ok) throw new Error('not a message');
    const m = decoded.message;
    return encodeMessage({ ...m, flags: { ...m.flags, qr: true, rcode }, answers: [] }, { compress: true })
      .bytes;
  };
  return {
    desk,
    sent,
    warnings,
    reply,
    advance: (ms: number) => {
      now += ms;
    },
    setSerial: (s: number) => {
      serial = s;
    },
    setLeader: (l: boolean) => {
      leader = l;
    },
  };
}

describe('NOTIFY desk (RFC 1996)', () => {
  it('the leader sends one NOTIFY (opcode NOTIFY, AA, the zone SOA question) and stops once answered', () => {
    const h = harness();
    h.desk.pump();
    expect(h.sent).to.have.length(1);
    const decoded = decodeMessage(h.sent[0]?.bytes as Uint8Array);
    if (!decoded.ok) throw new Error('undecodable');
    expect(decoded.message.flags).to.include({ qr: false, opcode: OPCODE.NOTIFY, aa: true });
    expect(decoded.message.questions[0]?.name.key).to.equal(APEX.key);
    expect(h.sent[0]?.to).to.equal('192.0.2.1:5300');
    expect(h.desk.answer('192.0.2.1', 5300, h.reply(h.sent[0]?.bytes as Uint8Array))).to.equal(true);
    h.advance(120_000);
    h.desk.pump();
    expect(h.sent).to.have.length(1);
    expect(h.desk.counters).to.include({ sent: 1, answered: 1, retransmitted: 0 });
  });

  it('a follower sends nothing; becoming leader sends for the current serial', () => {
    const h = harness({ leader: false });
    h.desk.zonesChanged();
    h.desk.pump();
    expect(h.sent).to.have.length(0);
    h.setLeader(true);
    h.desk.pump();
    expect(h.sent).to.have.length(1);
  });

  it('retransmits after 1, 2, 4, 8, 16 s, then gives up on that serial until the next change', () => {
    const h = harness();
    h.desk.pump();
    const times: number[] = [];
    let elapsed = 0;
    for (let step = 0; step < 200; step++) {
      h.advance(500);
      elapsed += 500;
      const before = h.sent.length;
      h.desk.pump();
      if (h.sent.length > before) times.push(elapsed);
    }
    expect(times).to.deep.equal([1_000, 3_000, 7_000, 15_000, 31_000]);
    expect(times).to.have.length(NOTIFY_RETRANSMISSIONS_MAX);
    expect(h.desk.counters.gaveUp).to.equal(1);
    expect(h.desk.outstanding).to.equal(0);
    h.desk.zonesChanged();
    h.desk.pump();
    expect(h.sent).to.have.length(1 + NOTIFY_RETRANSMISSIONS_MAX);
    h.setSerial(8);
    h.desk.zonesChanged();
    h.desk.pump();
    expect(h.sent).to.have.length(2 + NOTIFY_RETRANSMISSIONS_MAX);
  });

  it('keeps one NOTIFY outstanding per secondary; a change meanwhile is sent once the first is answered', () => {
    const h = harness();
    h.desk.pump();
    h.setSerial(8);
    h.desk.zonesChanged();
    h.desk.pump();
    expect(h.sent).to.have.length(1);
    h.desk.answer('192.0.2.1', 5300, h.reply(h.sent[0]?.bytes as Uint8Array));
    expect(h.sent).to.have.length(2);
    expect(readNotifyAnswer(h.reply(h.sent[1]?.bytes as Uint8Array))?.id).to.not.equal(
      readNotifyAnswer(h.reply(h.sent[0]?.bytes as Uint8Array))?.id,
    );
  });

  it('ignores answers from another address, port or id; counts a refusal as an answer', () => {
    const h = harness();
    h.desk.pump();
    const bytes = h.sent[0]?.bytes as Uint8Array;
    expect(h.desk.answer('192.0.2.2', 5300, h.reply(bytes))).to.equal(false);
    expect(h.desk.answer('192.0.2.1', 5301, h.reply(bytes))).to.equal(false);
    expect(h.desk.answer('192.0.2.1', 5300, new Uint8Array([1, 2, 3]))).to.equal(false);
    expect(h.desk.outstanding).to.equal(1);
    expect(h.desk.answer('::ffff:192.0.2.1', 5300, h.reply(bytes, RCODE.NOTAUTH))).to.equal(true);
    expect(h.desk.counters).to.include({ answered: 1, refused: 1, unmatchedAnswers: 3 });
  });

  it('does not send a NOTIFY whose key the cluster does not hold', () => {
    const h = harness();
    const { acl } = TransferAcl.from([
      {
        zone: 'example.org.',
        keys: [],
        prefixes: [],
        notify: [{ address: '192.0.2.1', port: 5300, key: 'missing.' }],
      },
    ]);
    h.desk.setTargets(acl.notifyTargets());
    h.desk.pump();
    expect(h.sent).to.have.length(0);
    expect(h.desk.counters.gaveUp).to.equal(1);
  });
});
