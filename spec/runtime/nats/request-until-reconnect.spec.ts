import { expect } from 'chai';
import { silentLogger } from '../../../runtime/log.js';
import { connectNats } from '../../../runtime/nats/nats-connection.js';
import { requestUntilReconnect } from '../../../runtime/nats/request-until-reconnect.js';
import { type NatsClusterHandle, startNatsCluster } from '../../fixtures/nats-server.js';
import { pollUntil } from '../../fixtures/poll-until.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('runtime/nats/request-until-reconnect: a request ends when its connection loses its server', function () {
  this.timeout(60_000);
  let cluster: NatsClusterHandle | undefined;

  after(async () => {
    await cluster?.stop();
  });

  it("answers as a plain request does, and ends with 'reconnected' (not at its timeout) when the requester's server dies", async () => {
    cluster = await startNatsCluster({ size: 2, jetstream: false });
    const [first, second] = cluster.servers;
    if (first === undefined || second === undefined) throw new Error('a cluster of two');
    // The responder sits on the second server; the requester dials the first one only at first.
    const responder = await connectNats({ urls: [second.url], name: 'responder', log: silentLogger });
    const requester = await connectNats({ urls: [first.url], name: 'requester', log: silentLogger });
    try {
      let answer = true;
      responder.subscribe('svc.maybe', {
        callback: (_err, msg) => {
          if (answer) msg.respond(bytes('yes'));
        },
      });
      responder.subscribe('svc.silent', { callback: () => undefined });
      await responder.flush();
      // The responder's interest reaches the first server over the cluster route some time
      // after its own server has it; until then the first server answers "no responders".
      const answered = await pollUntil('an answer through the route', 10_000, async () => {
        const outcome = await requestUntilReconnect(requester, 'svc.maybe', bytes('?'), 5_000);
        return outcome.ok ? outcome : undefined;
      });
      expect(answered.ok).to.equal(true);

      // It learns the second server from the first (cluster gossip), so it can move there.
      const secondPort = new URL(second.url).port;
      await pollUntil('the requester to learn the second server', 10_000, async () =>
        requester.info?.connect_urls?.some((u) => u.endsWith(`:${secondPort}`)) ? true : undefined,
      );
      answer = false;
      const startedMs = performance.now();
      const waiting = requestUntilReconnect(requester, 'svc.silent', bytes('?'), 20_000);
      await first.kill('SIGKILL');
      const outcome = await waiting;
      const tookMs = performance.now() - startedMs;
      expect(outcome).to.deep.equal({ ok: false, reason: 'reconnected' });
      expect(tookMs, 'ended by the reconnect, long before the 20 s timeout').to.be.below(10_000);
      answer = true;
      const after = await requestUntilReconnect(requester, 'svc.maybe', bytes('?'), 5_000);
      expect(after.ok, 'the reconnected connection serves requests').to.equal(true);
    } finally {
      await requester.close();
      await responder.close();
    }
  });

  it('passes the plain outcomes through (no responders)', async () => {
    const server = cluster?.servers[1];
    if (server === undefined) throw new Error('no server');
    const nc = await connectNats({ urls: [server.url], name: 'plain', log: silentLogger });
    try {
      const outcome = await requestUntilReconnect(nc, 'svc.nobody', bytes('?'), 2_000);
      expect(outcome).to.deep.equal({ ok: false, reason: 'no-responders' });
    } finally {
      await nc.close();
    }
  });
});
