import { execFileSync } from 'node:child_process';

/**
 * dnspython (Debian's python3-dns, run with /usr/bin/python3) as an independent TSIG
 * implementation: it signs queries and streams with its own code, and verifies ours.
 * Operations go in as one JSON list and come back as one JSON list, so a test starts
 * Python once per batch.
 */
const PYTHON = '/usr/bin/python3';

const SCRIPT = `
import sys, json, base64
import dns.message, dns.tsig, dns.name, dns.rrset

def key(o):
    return dns.tsig.Key(o['keyName'], base64.b64decode(o['secret']), o['algorithm'])

def keyring(o):
    k = key(o)
    return {k.name: k}

def signed_query(op, kr):
    q = dns.message.make_query(op['qname'], 'A')
    q.id = op['id']
    k = list(kr.values())[0]
    q.use_tsig(kr, keyname=k.name, algorithm=k.algorithm)
    return q, q.to_wire()

out = []
for op in json.load(sys.stdin):
    try:
        kind = op['op']
        kr = keyring(op)
        if kind == 'sign-query':
            q, wire = signed_query(op, kr)
            out.append({'ok': True, 'wire': wire.hex(), 'mac': q.mac.hex()})
        elif kind == 'sign-stream':
            _, wire = signed_query(op, kr)
            q = dns.message.from_wire(wire, keyring=kr)
            ctx = None
            wires = []
            for i in range(op['count']):
                r = dns.message.make_response(q)
                r.answer.append(dns.rrset.from_text(q.question[0].name, 300, 'IN', 'TXT', '"part %d"' % i))
                wires.append(r.to_wire(multi=True, tsig_ctx=ctx).hex())
                ctx = r.tsig_ctx
            out.append({'ok': True, 'request': wire.hex(), 'mac': q.mac.hex(), 'wires': wires})
        elif kind == 'verify-query':
            m = dns.message.from_wire(bytes.fromhex(op['wire']), keyring=kr)
            out.append({'ok': True, 'mac': m.mac.hex()})
        elif kind == 'verify-responses':
            q = dns.message.from_wire(bytes.fromhex(op['request']), keyring=kr)
            multi = len(op['wires']) > 1
            ctx = None
            for w in op['wires']:
                m = dns.message.from_wire(bytes.fromhex(w), keyring=kr, request_mac=q.mac, xfr=multi, tsig_ctx=ctx, multi=multi)
                ctx = m.tsig_ctx
            out.append({'ok': True})
        else:
            out.append({'ok': False, 'error': 'unknown op ' + kind})
    except Exception as e:
        out.append({'ok': False, 'error': type(e).__name__ + ': ' + str(e)})
print(json.dumps(out))
`;

export interface KeyJson {
  readonly keyName: string;
  readonly algorithm: string;
  /** Base64. */
  readonly secret: string;
}

export type PythonOp =
  | (KeyJson & { readonly op: 'sign-query'; readonly qname: string; readonly id: number })
  | (KeyJson & {
      readonly op: 'sign-stream';
      readonly qname: string;
      readonly id: number;
      readonly count: number;
    })
  | (KeyJson & { readonly op: 'verify-query'; readonly wire: string })
  | (KeyJson & {
      readonly op: 'verify-responses';
      readonly request: string;
      readonly wires: readonly string[];
    });

export interface PythonResult {
  readonly ok: boolean;
  readonly error?: string;
  readonly wire?: string;
  readonly mac?: string;
  readonly request?: string;
  readonly wires?: readonly string[];
}

/** Whether dnspython can be run here (tests skip, saying so, when it cannot). */
export function dnspythonAvailable(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import dns.tsig'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

export function runDnspython(ops: readonly PythonOp[]): PythonResult[] {
  const stdout = execFileSync(PYTHON, ['-c', SCRIPT], {
    input: JSON.stringify(ops),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return JSON.parse(stdout) as PythonResult[];
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));
