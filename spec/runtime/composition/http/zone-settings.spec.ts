/**
 * What each field of a zone PUT means for raftns (runtime/composition/http/zone-settings.ts):
 * accepted when it describes what raftns does, a ZoneSettingError naming the field when it
 * asks for something raftns does not do, and the raftns settings as the parts of the
 * transfer rule to replace.
 */
import { expect } from 'chai';
import type { PdnsZonePutBody } from '../../../../runtime/composition/http/pdns-schemas.js';
import { ZoneSettingError, zoneSettingsOf } from '../../../../runtime/composition/http/zone-settings.js';

const ZONE = 'example.org.';

describe('zone settings of a PUT (zone-settings.ts)', () => {
  it('accepts the PowerDNS fields that describe raftns and changes no transfer setting for them', () => {
    const accepted: PdnsZonePutBody[] = [
      {},
      { kind: 'Native' },
      { kind: 'master' },
      { kind: 'Primary' },
      { masters: [], master_tsig_key_ids: [], slave_tsig_key_ids: [] },
      { account: '', soa_edit: '', nsec3param: '', catalog: '' },
      { soa_edit_api: '' },
      { soa_edit_api: 'DEFAULT' },
      { soa_edit_api: 'increase' },
      { dnssec: false, presigned: false, nsec3narrow: false },
      { api_rectify: true },
      { api_rectify: false },
      { rrsets: [] },
      { id: ZONE, name: 'Example.ORG', type: 'Zone', url: `/api/v1/servers/localhost/zones/${ZONE}` },
      { serial: 7, edited_serial: 7, notified_serial: 0, last_check: 0 },
    ];
    for (const body of accepted) expect(zoneSettingsOf(ZONE, body), JSON.stringify(body)).to.deep.equal({});
  });

  it('refuses what raftns does not do, naming the field', () => {
    const refused: Array<[PdnsZonePutBody, string]> = [
      [{ kind: 'Slave' }, 'kind Slave'],
      [{ kind: 'Secondary' }, 'kind Secondary'],
      [{ kind: 'Producer' }, 'kind Producer'],
      [{ kind: 'Consumer' }, 'kind Consumer'],
      [{ kind: 'Forwarded' }, 'Native or Master'],
      [{ masters: ['192.0.2.1'] }, 'masters'],
      [{ master_tsig_key_ids: ['k.'] }, 'master_tsig_key_ids'],
      [{ slave_tsig_key_ids: ['k.'] }, 'raftns_allow_transfer'],
      [{ account: 'a' }, 'account'],
      [{ soa_edit: 'INCEPTION-INCREMENT' }, 'soa_edit'],
      [{ soa_edit_api: 'EPOCH' }, 'soa_edit_api'],
      [{ soa_edit_api: 'OFF' }, 'soa_edit_api'],
      [{ dnssec: true }, 'dnssec'],
      [{ presigned: true }, 'presigned'],
      [{ nsec3narrow: true }, 'nsec3narrow'],
      [{ nsec3param: '1 0 0 -' }, 'nsec3param'],
      [{ catalog: 'catalog.example.' }, 'catalog'],
      [{ rrsets: [{}] }, 'PATCH'],
      [{ name: 'other.example.' }, 'renamed'],
      [{ id: 'a..b' }, 'renamed'],
      [{ url: '/api/v1/servers/localhost/zones/other.example.' }, 'url'],
      [{ raftns_allow_transfer: { keys: ['a..b'], from: [] } }, 'raftns_allow_transfer.keys'],
      [{ raftns_allow_transfer: { keys: [], from: ['192.0.2.0/33'] } }, 'raftns_allow_transfer.from'],
      [{ raftns_allow_transfer: { keys: [], from: ['example.net'] } }, 'raftns_allow_transfer.from'],
      [{ raftns_also_notify: [{ address: 'ns.example.net' }] }, 'raftns_also_notify'],
      [{ raftns_also_notify: [{ address: '192.0.2.1:0' }] }, 'raftns_also_notify'],
      [{ raftns_also_notify: [{ address: '192.0.2.1', key: 'a..b' }] }, 'raftns_also_notify.key'],
      [{ raftns_also_notify: [{ address: '192.0.2.1' }, { address: '192.0.2.1:53' }] }, 'twice'],
      [{ raftns_also_notify: [{ address: '2001:db8::1' }, { address: '[2001:db8:0::1]:53' }] }, 'twice'],
    ];
    for (const [body, says] of refused) {
      const run = () => zoneSettingsOf(ZONE, body);
      expect(run, JSON.stringify(body)).to.throw(ZoneSettingError, says);
    }
  });

  it('turns the raftns settings into the parts of the rule to replace: absolute key names, ports', () => {
    expect(
      zoneSettingsOf(ZONE, { raftns_allow_transfer: { keys: ['xfr', 'b.'], from: ['2001:db8::/32'] } }),
    ).to.deep.equal({
      keys: ['xfr.', 'b.'],
      prefixes: ['2001:db8::/32'],
    });
    expect(
      zoneSettingsOf(ZONE, {
        raftns_also_notify: [
          { address: '192.0.2.1' },
          { address: '192.0.2.1:5300', key: 'xfr' },
          { address: '[2001:db8::53]:5301' },
        ],
      }),
    ).to.deep.equal({
      notify: [
        { address: '192.0.2.1', port: 53 },
        { address: '192.0.2.1', port: 5300, key: 'xfr.' },
        { address: '2001:db8::53', port: 5301 },
      ],
    });
    expect(
      zoneSettingsOf(ZONE, { raftns_allow_transfer: { keys: [], from: [] }, raftns_also_notify: [] }),
    ).to.deep.equal({ keys: [], prefixes: [], notify: [] });
  });
});
