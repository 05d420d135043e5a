/**
 * An answer that carries only an rcode (SERVFAIL when a read mode cannot be honoured):
 * the query's id, opcode, RD and question echoed (RFC 1035 §4.1.1), QR set, no data, and
 * an OPT record when the query had one (RFC 6891 §7). The slow path: it decodes the
 * query. Returns null when the query is not worth answering (not decodable, or a response).
 */
import { RR_TYPE } from './wire/codes.js';
import { decodeMessage, encodeMessage } from './wire/message.js';

/** What this server advertises as its UDP payload size (DNS Flag Day 2020). */
export const ADVERTISED_UDP_PAYLOAD = 1232;

export function rcodeResponse(query: Uint8Array, rcode: number): Uint8Array | null {
  const decoded = decodeMessage(query);
  if (!decoded.ok) return null;
  const q = decoded.message;
  if (q.flags.qr) return null;
  const questions = q.questions.filter((question) => question.type !== RR_TYPE.OPT);
  const { bytes } = encodeMessage(
    {
      id: q.id,
      flags: {
        qr: true,
        opcode: q.flags.opcode,
        aa: false,
        tc: false,
        rd: q.flags.rd,
        ra: false,
        ad: false,
        cd: q.flags.cd,
        rcode: rcode & 0xf,
      },
      questions,
      answers: [],
      authorities: [],
      additionals: [],
      ...(q.edns === undefined
        ? {}
        : {
            edns: {
              udpPayloadSize: ADVERTISED_UDP_PAYLOAD,
              extendedRcode: rcode >> 4,
              version: 0,
              dnssecOk: q.edns.dnssecOk,
              options: [],
            },
          }),
    },
    { compress: true, maxBytes: 512 },
  );
  return bytes;
}
