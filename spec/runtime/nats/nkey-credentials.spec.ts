import { expect } from 'chai';
import { createNatsUser, credentialsText } from '../../../bootstrap/nats-credentials.js';
import {
  CREDENTIALS_FILE_BYTES_MAX,
  formatNkeyCredentials,
  parseCredentials,
} from '../../../runtime/nats/nkey-credentials.js';

const encode = (text: string) => new TextEncoder().encode(text);

describe('runtime/nats/nkey-credentials', () => {
  const user = createNatsUser('reader');

  it('reads back the seed of a file it wrote', () => {
    expect(parseCredentials(encode(credentialsText('prod', user)))).to.deep.equal({
      kind: 'nkey',
      seed: user.seed,
    });
  });

  const cases: ReadonlyArray<{ name: string; text: string; kind: string }> = [
    {
      name: "NATS's .creds (user JWT and seed)",
      text: '-----BEGIN NATS USER JWT-----\neyJ0eXAi\n------END NATS USER JWT------\n',
      kind: 'jwt',
    },
    { name: 'a bare seed', text: `${user.seed}\n`, kind: 'nkey' },
    { name: 'an empty file', text: '', kind: 'invalid' },
    { name: 'a public key, not a seed', text: user.publicKey, kind: 'invalid' },
    { name: 'an account seed', text: `SA${user.seed.slice(2)}`, kind: 'invalid' },
    { name: 'a seed cut short', text: user.seed.slice(0, 40), kind: 'invalid' },
  ];
  for (const c of cases) {
    it(`tells ${c.name}: ${c.kind}`, () => {
      expect(parseCredentials(encode(c.text)).kind).to.equal(c.kind);
    });
  }

  it('refuses a file far larger than credentials, and to format what is not a seed', () => {
    expect(parseCredentials(new Uint8Array(CREDENTIALS_FILE_BYTES_MAX + 1)).kind).to.equal('invalid');
    expect(() => formatNkeyCredentials(user.publicKey, 'x')).to.throw(RangeError);
  });
});
