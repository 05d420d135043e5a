/**
 * The native signer answers a server's nonce with exactly what nats.js's own (pure
 * JavaScript) nkey code would: same public key, same signature (Ed25519 is deterministic,
 * RFC 8032 §5.1.6), and is fast enough to sit on the reconnect path.
 */
import { randomBytes } from 'node:crypto';
import { nkeys } from '@nats-io/transport-node';
import { expect } from 'chai';
import { nkeySigner } from '../../../runtime/nats/nkey-signer.js';

describe('runtime/nats/nkey-signer', () => {
  it('gives the public key and signatures nats.js gives, for fresh seeds and nonces', () => {
    for (let i = 0; i < 8; i++) {
      const pair = nkeys.createUser();
      const seed = new TextDecoder().decode(pair.getSeed());
      const signer = nkeySigner(seed);
      expect(signer.publicKey).to.equal(pair.getPublicKey());
      expect(signer.seed).to.equal(seed);
      // A NATS nonce is base64url text; any text must sign the same.
      for (const nonce of [randomBytes(16).toString('base64url'), 'é-nonce', 'x']) {
        expect(signer.signNonce(nonce)).to.equal(nkeys.encode(pair.sign(new TextEncoder().encode(nonce))));
      }
    }
  });

  it('refuses what is not a user seed', () => {
    const seed = new TextDecoder().decode(nkeys.createUser().getSeed());
    const corrupt = `${seed.slice(0, 10)}${seed[10] === 'A' ? 'B' : 'A'}${seed.slice(11)}`;
    expect(() => nkeySigner(corrupt)).to.throw();
    expect(() => nkeySigner('SU!!')).to.throw();
    expect(() => nkeySigner('')).to.throw();
  });

  it('signs a nonce in well under a millisecond once made (the reconnect path)', () => {
    const signer = nkeySigner(new TextDecoder().decode(nkeys.createUser().getSeed()));
    signer.signNonce('warm-up');
    const started = performance.now();
    const count = 200;
    for (let i = 0; i < count; i++) signer.signNonce(`nonce-${i}`);
    // ~30 µs a signature on this machine; 2 ms leaves room for a loaded host.
    expect((performance.now() - started) / count).to.be.below(2);
  });
});
