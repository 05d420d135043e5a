/**
 * Names as the renderer writes them: presentation format (RFC 1035 §5.1) with every
 * character but letters, digits and `- _ * /` escaped, printable ones as `\X`, the rest
 * as `\DDD`. RFC 1035 needs only `. \ " ( ) ; @ $` escaped (which is what `Name.toString`
 * does, and the store keeps names in that form), but Knot's zone parser rejects other
 * punctuation unescaped, and a rendered zone must load in every server.
 */
import type { Name } from '../wire/name.js';

const PLAIN = new Uint8Array(0x80);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_*/')
  PLAIN[ch.charCodeAt(0)] = 1;

function labelText(label: string): string {
  let text = '';
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    if (c < 0x80 && PLAIN[c] === 1) text += label[i];
    else if (c > 0x20 && c < 0x7f) text += `\\${label[i]}`;
    else text += `\\${String(c).padStart(3, '0')}`;
  }
  return text;
}

/** `www.example.`; the root is `.`. */
export function zoneNameText(name: Name): string {
  if (name.isRoot) return '.';
  let text = '';
  for (const label of name.labels) text += `${labelText(label)}.`;
  return text;
}
