/**
 * The answer to a request refused with an rcode (NOTAUTH for a rejected TSIG, RFC 8945
 * §5.3.2; REFUSED, NOTAUTH or FORMERR for a zone transfer): the question echoed, no
 * records, and our OPT when the request had one, carrying the rcode's upper bits
 * (RFC 6891 §6.1.3).
 */
import { type Edns, encodeMessage, type Message, messageFlags } from '../../../protocol/dns/wire/message.js';

/** An answer with `rcode` that echoes the question (and carries our OPT when asked with one). */
export function errorAnswer(asked: Message, rcode: number, ourEdns: (asked: Edns) => Edns): Uint8Array {
  const message: Message = {
    id: asked.id,
    flags: messageFlags({ qr: true, opcode: asked.flags.opcode, rd: asked.flags.rd, rcode: rcode & 0x0f }),
    questions: asked.questions.slice(0, 1),
    answers: [],
    authorities: [],
    additionals: [],
    ...(asked.edns === undefined ? {} : { edns: { ...ourEdns(asked.edns), extendedRcode: rcode >>> 4 } }),
  };
  return encodeMessage(message, { compress: true }).bytes;
}
