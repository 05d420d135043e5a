import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { TsigAlgorithm } from '../../../../protocol/dns/tsig/algorithm.js';
import { makeKeyring, makeTsigKey, type TsigKey } from '../../../../protocol/dns/tsig/key.js';
import { signAnswer } from '../../../../protocol/dns/tsig/sign.js';
import { type RequestVerification, verifyRequest } from '../../../../protocol/dns/tsig/verify.js';
import { RCODE, RR_CLASS, RR_TYPE } from '../../../../protocol/dns/wire/codes.js';
import { decodeMessage, encodeMessage, type Message } from '../../../../protocol/dns/wire/message.js';
import { Name } from '../../../../protocol/dns/wire/name.js';

/**
 * BIND's dig and Knot's kdig sign queries (`-y alg:name:secret`) with their own TSIG code;
 * a small UDP server here verifies them with `verifyRequest` and answers with
 * `signAnswer`, and the tools say whether our answer's TSIG verifies. dig's
 * `hmac-sha256-128` style names send truncated MACs (RFC 8945 §5.2.2.1).
 */
const run = promisify(execFile);
const SECRET = 'c2VjcmV0LXNlY3JldC1zZWNyZXQ=';
const now = (): number => Math.floor(Date.now() / 1000);

interface Server {
  readonly port: number;
  /** What the server concluded about each request, in order. */
  readonly verdicts: RequestVerification[];
  key: TsigKey;
  clockSkewSeconds: number;
  close(): Promise<void>;
}

async function startServer(): Promise<Server> {
  const socket = dgram.createSocket('udp4');
  const server: Server = {
    port: 0,
    verdicts: [],
    key: makeTsigKey(Name.parse('k.'), new Uint8Array(32), 'hmac-sha256'),
    clockSkewSeconds: 0,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (msg, peer) => {
    const bytes = new Uint8Array(msg);
    const at = now() + server.clockSkewSeconds;
    const verdict = verifyRequest(bytes, makeKeyring([server.key]), at);
    server.verdicts.push(verdict);
    const decoded = decodeMessage(bytes);
    if (!decoded.ok) return;
    const q = decoded.message;
    const ok = verdict.kind === 'verified';
    const message: Message = {
      id: q.id,
      flags: { ...q.flags, qr: true, aa: ok, rcode: ok ? RCODE.NOERROR : RCODE.NOTAUTH },
      questions: q.questions,
      answers: ok
        ? [
            {
              name: q.questions[0]?.name ?? Name.ROOT,
              type: RR_TYPE.A,
              class: RR_CLASS.IN,
              ttl: 60,
              rdata: { kind: 'A', address: '192.0.2.7' },
            },
          ]
        : [],
      authorities: [],
      additionals: [],
      ...(q.edns === undefined ? {} : { edns: { ...q.edns, options: [] } }),
    };
    socket.send(
      signAnswer(encodeMessage(message, { compress: true }).bytes, verdict, at),
      peer.port,
      peer.address,
    );
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return Object.assign(server, { port: socket.address().port });
}

const CASES: readonly {
  readonly toolName: string;
  readonly algorithm: TsigAlgorithm;
  readonly macOctets: number;
}[] = [
  { toolName: 'hmac-md5', algorithm: 'hmac-md5.sig-alg.reg.int', macOctets: 16 },
  { toolName: 'hmac-sha1', algorithm: 'hmac-sha1', macOctets: 20 },
  { toolName: 'hmac-sha224', algorithm: 'hmac-sha224', macOctets: 28 },
  { toolName: 'hmac-sha256', algorithm: 'hmac-sha256', macOctets: 32 },
  { toolName: 'hmac-sha384', algorithm: 'hmac-sha384', macOctets: 48 },
  { toolName: 'hmac-sha512', algorithm: 'hmac-sha512', macOctets: 64 },
];
/** dig only: BIND names a truncated MAC `<algorithm>-<bits>`. */
const TRUNCATED: readonly {
  readonly toolName: string;
  readonly algorithm: TsigAlgorithm;
  readonly macOctets: number;
}[] = [
  { toolName: 'hmac-sha256-128', algorithm: 'hmac-sha256', macOctets: 16 },
  { toolName: 'hmac-sha512-256', algorithm: 'hmac-sha512', macOctets: 32 },
  { toolName: 'hmac-sha1-80', algorithm: 'hmac-sha1', macOctets: 10 },
];

const TOOLS = { dig: '/usr/bin/dig', kdig: '/usr/bin/kdig' } as const;

describe('protocol/dns/tsig: interoperability with dig and kdig (RFC 8945)', function () {
  this.timeout(120_000);
  let server: Server;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  async function ask(tool: keyof typeof TOOLS, toolName: string): Promise<string> {
    const retries = tool === 'dig' ? '+tries=1' : '+retry=0';
    const { stdout, stderr } = await run(
      TOOLS[tool],
      [
        '@127.0.0.1',
        '-p',
        String(server.port),
        '+time=3',
        retries,
        '-y',
        `${toolName}:k:${SECRET}`,
        'www.example.',
        'A',
      ],
      { timeout: 20_000 },
    ).catch((error: { stdout?: string; stderr?: string }) => ({
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }));
    return stdout + stderr;
  }

  const rejected = /WARNING -- Some TSIG could not be validated|Couldn't verify signature|failed to verify/;

  for (const tool of Object.keys(TOOLS) as (keyof typeof TOOLS)[]) {
    it(`${tool}: its signed queries verify here and our signed answers verify there, every algorithm`, async function () {
      if (!existsSync(TOOLS[tool])) {
        console.log(`    skipped: ${TOOLS[tool]} is not installed`);
        this.skip();
      }
      for (const { toolName, algorithm, macOctets } of tool === 'dig' ? [...CASES, ...TRUNCATED] : CASES) {
        server.key = makeTsigKey(Name.parse('k.'), new Uint8Array(Buffer.from(SECRET, 'base64')), algorithm);
        server.clockSkewSeconds = 0;
        const before = server.verdicts.length;
        const output = await ask(tool, toolName);
        const verdict = server.verdicts[before];
        if (verdict?.kind !== 'verified') expect.fail(`${toolName}: ${JSON.stringify(verdict)}\n${output}`);
        expect(verdict.request.rdata.mac, toolName).to.have.length(macOctets);
        expect(output, toolName).to.match(/status: NOERROR/);
        expect(output, toolName).to.match(/192\.0\.2\.7/);
        expect(output, toolName).to.not.match(rejected);
      }
    });

    it(`${tool}: reads BADSIG and BADTIME from our answers`, async function () {
      if (!existsSync(TOOLS[tool])) this.skip();
      server.key = makeTsigKey(Name.parse('k.'), new Uint8Array(32).fill(1), 'hmac-sha256');
      server.clockSkewSeconds = 0;
      const badSig = await ask(tool, 'hmac-sha256');
      expect(server.verdicts.at(-1)).to.deep.include({ kind: 'rejected', error: 'BADSIG' });
      expect(badSig).to.match(/BADSIG/);
      server.key = makeTsigKey(
        Name.parse('k.'),
        new Uint8Array(Buffer.from(SECRET, 'base64')),
        'hmac-sha256',
      );
      server.clockSkewSeconds = 1000;
      const badTime = await ask(tool, 'hmac-sha256');
      expect(server.verdicts.at(-1)).to.deep.include({ kind: 'rejected', error: 'BADTIME' });
      expect(badTime).to.match(/BADTIME/);
    });
  }
});
