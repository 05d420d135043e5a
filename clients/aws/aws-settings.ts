/**
 * Where each raftns region lives in AWS: its AWS region (`--aws-region us-east=us-east-1,…`,
 * default: the same string) and the subnets of its load balancers
 * (`--subnets us-east=subnet-a,subnet-b;eu-west=subnet-c`), parsed and checked against the
 * plan's regions.
 */

export interface AwsRegionSettings {
  /** The AWS region (`us-east-1`) of one raftns region. */
  readonly awsRegion: string;
  /** Subnet ids of its network load balancers (one per availability zone). */
  readonly subnets: readonly string[];
}

/** Settings keyed by raftns region name. */
export type AwsSettings = ReadonlyMap<string, AwsRegionSettings>;

export class AwsSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AwsSettingsError';
  }
}

/** `a=x,b=y` → {a: x, b: y}. */
export function parseRegionMap(text: string | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const item of (text ?? '').split(',')) {
    const entry = item.trim();
    if (entry === '') continue;
    const [region, awsRegion, ...rest] = entry.split('=').map((s) => s.trim());
    if (
      region === undefined ||
      region === '' ||
      awsRegion === undefined ||
      awsRegion === '' ||
      rest.length > 0
    )
      throw new AwsSettingsError(`--aws-region: expected region=aws-region, got "${entry}"`);
    if (!/^[a-z0-9-]{1,64}$/.test(awsRegion))
      throw new AwsSettingsError(`--aws-region: "${awsRegion}" is not an AWS region name`);
    map.set(region, awsRegion);
  }
  return map;
}

/** `a=s1,s2;b=s3` → {a: [s1, s2], b: [s3]}. */
export function parseSubnets(text: string | undefined): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const item of (text ?? '').split(';')) {
    const entry = item.trim();
    if (entry === '') continue;
    const at = entry.indexOf('=');
    const region = entry.slice(0, Math.max(0, at)).trim();
    const subnets = entry
      .slice(at + 1)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (at <= 0 || region === '' || subnets.length === 0)
      throw new AwsSettingsError(`--subnets: expected region=subnet-a,subnet-b;…, got "${entry}"`);
    map.set(region, subnets);
  }
  return map;
}

/**
 * The settings of every region of the plan. Fails if the maps name a region the plan does
 * not have, or, when `subnetsRequired` (provisioning), if a region has no subnets.
 */
export function awsSettings(
  regions: readonly string[],
  awsRegions: ReadonlyMap<string, string>,
  subnets: ReadonlyMap<string, readonly string[]>,
  subnetsRequired: boolean,
): AwsSettings {
  const unknown = [...awsRegions.keys(), ...subnets.keys()].filter((r) => !regions.includes(r));
  if (unknown.length > 0)
    throw new AwsSettingsError(`not regions of the plan: ${[...new Set(unknown)].join(', ')}`);
  const missing = regions.filter((r) => subnetsRequired && (subnets.get(r)?.length ?? 0) === 0);
  if (missing.length > 0)
    throw new AwsSettingsError(`--subnets: no subnets for region(s) ${missing.join(', ')}`);
  const settings = new Map<string, AwsRegionSettings>();
  const byAwsRegion = new Map<string, string>();
  for (const region of regions) {
    const awsRegion = awsRegions.get(region) ?? region;
    // A Global Accelerator listener has at most one endpoint group per AWS region.
    const other = byAwsRegion.get(awsRegion);
    if (other !== undefined)
      throw new AwsSettingsError(`--aws-region: regions ${other} and ${region} both map to ${awsRegion}`);
    byAwsRegion.set(awsRegion, region);
    settings.set(region, { awsRegion, subnets: subnets.get(region) ?? [] });
  }
  return settings;
}
