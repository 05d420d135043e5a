/** A zone using every feature of the master-file syntax the parser reads. */
export const RICH_ZONE = [
  '$ORIGIN example.',
  '$TTL 1h',
  '@ IN SOA ns1 hostmaster ( 2024010101 ; serial',
  '      7200 3600 1209600 300 )   ; timers',
  '  NS ns1',
  '  NS ns2.example.net.',
  '  MX 10 mail',
  'ns1 A 192.0.2.53',
  'mail 300 IN A 192.0.2.25',
  'www IN 300 AAAA 2001:db8::1',
  'txt TXT "hello world" "semi;colon" esc\\032aped',
  'a\\.b TXT "dotted label" "quote \\" inside"',
  '_sip._tcp SRV 10 5 5060 sip.example.net.',
  'ptr PTR www',
  'alias CNAME www',
  'caa CAA 0 issue "letsencrypt.org"',
  'unk TYPE65280 \\# 4 0a000001',
  'gen TYPE1 \\# 4 C0000201',
  '$GENERATE 1-3 host-$ A 192.0.2.$',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: BIND's $GENERATE modifier syntax, not a template
  '$GENERATE 0-10/5 r${10,3,x} TXT "n=${0}"',
].join('\n');
