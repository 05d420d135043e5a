import { expect } from 'chai';
import {
  acceleratorName,
  elbNamePrefix,
  loadBalancerName,
  regionTags,
  targetGroupName,
} from '../../../clients/aws/aws-names.js';
import {
  AwsSettingsError,
  awsSettings,
  parseRegionMap,
  parseSubnets,
} from '../../../clients/aws/aws-settings.js';

const ELB_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])$/;

describe('clients/aws: names, tags and settings', () => {
  it('ELB names fit AWS limits, start with the cluster prefix, and differ per region and kind', () => {
    const long = 'a_very_long_cluster_name_that_goes_on_and_on_for_sixty_four_chars';
    for (const [cluster, region, group] of [
      ['prod', 'us-east', 'org'],
      [long, 'eu-west', 'wikipedia-org_with_a_long_id_too'],
      ['c', 'r', '-_-'],
    ] as const) {
      const names = [loadBalancerName(cluster, region, group), targetGroupName(cluster, region, group)];
      for (const name of names) {
        expect(name).to.match(ELB_NAME);
        expect(name.length).to.be.at.most(32);
        expect(name.startsWith(elbNamePrefix(cluster))).to.equal(true);
        expect(name.startsWith('internal-')).to.equal(false);
      }
      expect(names[0]).to.not.equal(names[1]);
      expect(acceleratorName(cluster, group).length).to.be.at.most(64);
    }
    expect(loadBalancerName('prod', 'us-east', 'org')).to.equal(loadBalancerName('prod', 'us-east', 'org'));
    expect(loadBalancerName('prod', 'us-east', 'org')).to.not.equal(
      loadBalancerName('prod', 'eu-west', 'org'),
    );
    // Cut ids that collide still give distinct names (the hash covers the full ids).
    expect(loadBalancerName('prod', 'r', 'abcdefghij-1')).to.not.equal(
      loadBalancerName('prod', 'r', 'abcdefghij-2'),
    );
    expect(regionTags('prod', 'us-east', 'org')).to.deep.include({ Key: 'raftns:managed', Value: 'true' });
  });

  it('parses --aws-region and --subnets and checks them against the plan', () => {
    expect([...parseRegionMap('us-east=us-east-1, eu-west=eu-west-1')]).to.deep.equal([
      ['us-east', 'us-east-1'],
      ['eu-west', 'eu-west-1'],
    ]);
    expect([...parseSubnets('us-east=subnet-a,subnet-b;eu-west=subnet-c')]).to.deep.equal([
      ['us-east', ['subnet-a', 'subnet-b']],
      ['eu-west', ['subnet-c']],
    ]);
    expect(() => parseRegionMap('us-east')).to.throw(AwsSettingsError);
    expect(() => parseSubnets('us-east=')).to.throw(AwsSettingsError);
    const settings = awsSettings(
      ['us-east', 'eu-west'],
      parseRegionMap('us-east=us-east-1'),
      new Map(),
      false,
    );
    expect(settings.get('us-east')?.awsRegion).to.equal('us-east-1');
    expect(settings.get('eu-west')?.awsRegion).to.equal('eu-west');
    expect(() => awsSettings(['us-east'], new Map(), new Map(), true)).to.throw(
      /no subnets for region\(s\) us-east/,
    );
    expect(() => awsSettings(['us-east'], parseRegionMap('mars=x-1'), new Map(), false)).to.throw(/mars/);
    expect(() =>
      awsSettings(['a', 'b'], parseRegionMap('a=us-east-1,b=us-east-1'), new Map(), false),
    ).to.throw(/both map to us-east-1/);
  });
});
