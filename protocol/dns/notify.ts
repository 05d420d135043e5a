/**
 * NOTIFY messages (RFC 1996): the request a primary sends a secondary when a zone changed,
 * and the reading of the secondary's answer.
 *
 * The request (§3.7): opcode NOTIFY, AA set, one question `zone IN SOA`, and the zone's SOA
 * in the answer section as a hint of the new serial (§3.7 allows it; the secondary still
 * asks for the SOA itself, §3.11). The answer (§4.7) echoes the id, the opcode and the
 * question with QR set.
 */

import { OPCODE, RCODE, RR_CLASS, RR_TYPE } from './wire/codes.js';
import { decodeMessage, encodeMessage, messageFlags } from './wire/message.js';
import type { Name } from './wire/name.js';
import type { SoaRdata } from './wire/rdata.js';

/** The NOTIFY request for `zone`, carrying its current SOA. */
export function encodeNotify(
  id: number,
  zone: Name,
  soa: { readonly rdata: SoaRdata; readonly ttl: number },
): Uint8Array {
  return encodeMessage(
    {
      id,
      flags: messageFlags({ opcode: OPCODE.NOTIFY, aa: true }),
      questions: [{ name: zone, type: RR_TYPE.SOA, class: RR_CLASS.IN }],
      answers: [{ name: zone, type: RR_TYPE.SOA, class: RR_CLASS.IN, ttl: soa.ttl, rdata: soa.rdata }],
      authorities: [],
      additionals: [],
    },
    { compress: true },
  ).bytes;
}

/** What a NOTIFY answer says; undefined for anything that is not one. */
export interface NotifyAnswer {
  readonly id: number;
  /** The question's name key (lowercased absolute). */
  readonly zoneKey: string;
  readonly rcode: number;
}

/** True when `bytes` is a response (QR set): never answered, only matched to what we asked. */
export function isResponse(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && ((bytes[2] as number) & 0x80) !== 0;
}

export function readNotifyAnswer(bytes: Uint8Array): NotifyAnswer | undefined {
  const decoded = decodeMessage(bytes);
  if (!decoded.ok) return undefined;
  const { message } = decoded;
  const question = message.questions[0];
  if (!message.flags.qr || message.flags.opcode !== OPCODE.NOTIFY || question === undefined) return undefined;
  return { id: message.id, zoneKey: question.name.key, rcode: message.flags.rcode };
}

/**
 * The answer to a NOTIFY sent to us: the id, opcode and question echoed with QR and AA set
 * (RFC 1996 §4.7); NOERROR for a zone we serve (we are its primary: nothing to refresh),
 * NOTAUTH for any other, FORMERR for a message without exactly one question.
 */
export function notifyReply(request: Uint8Array, serves: (zone: Name) => boolean): Uint8Array | null {
  const decoded = decodeMessage(request);
  if (!decoded.ok) {
    if (request.length < 12) return null;
    const header = request.slice(0, 12);
    header[2] = ((header[2] as number) | 0x80) & 0xfe;
    header[3] = RCODE.FORMERR;
    header.fill(0, 4, 12);
    return header;
  }
  const { message } = decoded;
  const question = message.questions[0];
  const rcode =
    message.questions.length !== 1 || question === undefined
      ? RCODE.FORMERR
      : serves(question.name)
        ? RCODE.NOERROR
        : RCODE.NOTAUTH;
  return encodeMessage(
    {
      id: message.id,
      flags: messageFlags({ qr: true, opcode: OPCODE.NOTIFY, aa: rcode === RCODE.NOERROR, rcode }),
      questions: question === undefined ? [] : [question],
      answers: [],
      authorities: [],
      additionals: [],
    },
    { compress: true },
  ).bytes;
}
