/**
 * Queries that carry a TSIG record (RFC 8945 §5.2). This server holds no TSIG keys yet, so
 * every key is unknown: a correctly placed TSIG gets NOTAUTH with a TSIG record carrying
 * BADKEY and an empty MAC (§5.2.1, §5.3.2), which needs neither a key nor a clock. A TSIG
 * that is not the last additional record, a second one, or one that cannot be read makes
 * the query FORMERR (§5.2).
 */
import { locateTsig } from '../../../protocol/dns/tsig/locate.js';
import { unsignedTsigError } from '../../../protocol/dns/tsig/sign.js';
import { RCODE } from '../../../protocol/dns/wire/codes.js';
import { type Edns, encodeMessage, type Message } from '../../../protocol/dns/wire/message.js';

export type SignedQueryAnswer =
  /** No TSIG in the query, or a query that does not decode at all: the usual checks answer it. */
  | { readonly kind: 'unsigned' }
  | { readonly kind: 'formerr' }
  | { readonly kind: 'answer'; readonly bytes: Uint8Array };

/**
 * What to do with `query` given its TSIG. `ourEdns` turns the query's OPT into ours, so the
 * NOTAUTH answer carries an OPT when the query did (RFC 6891 §6.1.1).
 */
export function answerSignedQuery(query: Uint8Array, ourEdns: (asked: Edns) => Edns): SignedQueryAnswer {
  const located = locateTsig(query);
  if (located.kind === 'unsigned') return { kind: 'unsigned' };
  if (located.kind === 'formerr')
    return located.error.problem === 'bad-message' ? { kind: 'unsigned' } : { kind: 'formerr' };
  const { message: asked, record } = located;
  const message: Message = {
    id: asked.id,
    flags: {
      qr: true,
      opcode: asked.flags.opcode,
      aa: false,
      tc: false,
      rd: asked.flags.rd,
      ra: false,
      ad: false,
      cd: false,
      rcode: RCODE.NOTAUTH,
    },
    questions: asked.questions.slice(0, 1),
    answers: [],
    authorities: [],
    additionals: [],
    ...(asked.edns === undefined ? {} : { edns: ourEdns(asked.edns) }),
  };
  const unsigned = encodeMessage(message, { compress: true }).bytes;
  return { kind: 'answer', bytes: unsignedTsigError(unsigned, record, 'BADKEY') };
}
