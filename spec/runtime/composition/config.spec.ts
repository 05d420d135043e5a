import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  type ConfigResult,
  DEFAULT_PLACEMENT,
  type LoadConfigInput,
  loadConfig,
  parseDnsListener,
  parseHostPort,
  REPLICA_ACTOR_NAMES,
  type ReplicaConfig,
  regionOfArn,
} from '../../../runtime/composition/config.js';
import { awsLeaseActors, replicaActorSpecs } from '../../../runtime/composition/replica-plan.js';

const REQUIRED = ['--instance-id', 'i-0abc', '--data-dir', '/var/lib/raftns'];

function ok(input: Partial<LoadConfigInput>): ReplicaConfig {
  const result = loadConfig({ argv: input.argv ?? [], env: input.env ?? {} });
  if (!result.ok) expect.fail(`expected a valid config, got errors:\n${result.errors.join('\n')}`);
  return result.config;
}

function errors(input: Partial<LoadConfigInput>): readonly string[] {
  const result: ConfigResult = loadConfig({ argv: input.argv ?? [], env: input.env ?? {} });
  if (result.ok) expect.fail(`expected errors, got config ${JSON.stringify(result.config)}`);
  return result.errors;
}

describe('runtime/config', () => {
  let dir: string;
  let fileCount = 0;
  /** Writes a config file (an object is JSON-encoded, a string written as is). */
  function configFile(content: unknown): string {
    const path = join(dir, `config-${fileCount++}.json`);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return path;
  }
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'raftns-config-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  describe('defaults', () => {
    it('fills every field an operator need not set', () => {
      expect(ok({ argv: REQUIRED })).to.deep.equal({
        cluster: 'local',
        region: 'local',
        instanceId: 'i-0abc',
        dataDir: '/var/lib/raftns',
        bootstrap: false,
        group: 'g1',
        peers: ['i-0abc'],
        nats: { urls: ['nats://127.0.0.1:4222'] },
        dns: {
          listen: ['127.0.0.1:5300'],
          advertise: ['127.0.0.1'],
          rrlResponsesPerSecond: 20,
          rrlSlip: 2,
          tcpMaxConnectionsPerClient: 16,
        },
        readMode: 'lease',
        raft: { tickMs: 10, snapshotThresholdEntries: 8_192 },
        log: { level: 'info' },
        placement: DEFAULT_PLACEMENT,
        shutdown: { drainTimeoutMs: 5_000 },
        regionRepair: { periodMs: 2_000, tombstoneHorizonMs: 3_600_000 },
        supervision: { maxRestarts: 5, windowMs: 60_000, backoffBaseMs: 100, backoffMaxMs: 10_000 },
      });
    });

    it('reads the DNS abuse limits from flags and the environment, and rejects values out of range', () => {
      const argv = [...REQUIRED, '--dns-rrl-rate', '0', '--dns-rrl-slip', '1', '--dns-tcp-per-client', '4'];
      expect(ok({ argv }).dns).to.include({
        rrlResponsesPerSecond: 0,
        rrlSlip: 1,
        tcpMaxConnectionsPerClient: 4,
      });
      expect(ok({ argv: REQUIRED, env: { RAFTNS_DNS_RRL_RATE: '50' } }).dns.rrlResponsesPerSecond).to.equal(
        50,
      );
      expect(errors({ argv: [...REQUIRED, '--dns-rrl-slip', '11'] }).join('\n')).to.match(
        /--dns-rrl-slip "11"/,
      );
      expect(errors({ argv: [...REQUIRED, '--dns-rrl-rate', '-1'] }).join('\n')).to.match(/--dns-rrl-rate/);
      expect(errors({ argv: [...REQUIRED, '--dns-tcp-per-client', '0'] }).join('\n')).to.match(
        /--dns-tcp-per-client "0"/,
      );
    });

    it('leaves the HTTP listener off unless --http or RAFTNS_HTTP_LISTEN sets it', () => {
      expect(ok({ argv: REQUIRED })).to.not.have.property('http');
      expect(ok({ argv: [...REQUIRED, '--http', '127.0.0.1:9153'] }).http).to.deep.equal({
        listen: '127.0.0.1:9153',
      });
      expect(ok({ argv: REQUIRED, env: { RAFTNS_HTTP_LISTEN: '[::1]:0' } }).http).to.deep.equal({
        listen: '[::1]:0',
      });
      expect(errors({ argv: [...REQUIRED, '--http', '9153'] }).join('\n')).to.match(
        /--http "9153": expected host:port/,
      );
    });

    it('leaves out nats.credsFile unless it is set', () => {
      expect(ok({ argv: REQUIRED }).nats).to.not.have.property('credsFile');
    });
  });

  describe('sources', () => {
    it('reads every flag, lists comma-separated with spaces trimmed', () => {
      const config = ok({
        argv: [
          ...REQUIRED,
          '--cluster=prod',
          '--region',
          'us-east-1',
          '--nats',
          'nats://n1:4222, nats://n2:4222,tls://n3',
          '--nats-creds',
          '/etc/raftns/nats.creds',
          '--dns',
          '0.0.0.0:53,[::]:53',
          '--read-mode',
          'bounded:250',
          '--log-level',
          'debug',
        ],
      });
      expect(config).to.deep.include({ cluster: 'prod', region: 'us-east-1', readMode: 'bounded:250' });
      expect(config.nats).to.deep.equal({
        urls: ['nats://n1:4222', 'nats://n2:4222', 'tls://n3'],
        credsFile: '/etc/raftns/nats.creds',
      });
      expect(config.dns.listen).to.deep.equal(['0.0.0.0:53', '[::]:53']);
      expect(config.log.level).to.equal('debug');
    });

    it('reads every environment variable', () => {
      const config = ok({
        env: {
          RAFTNS_INSTANCE_ID: 'i-env',
          RAFTNS_DATA_DIR: '/data',
          RAFTNS_CLUSTER: 'c1',
          RAFTNS_REGION: 'eu-west-1',
          RAFTNS_NATS_URLS: 'nats://a:1,nats://b:2',
          RAFTNS_NATS_CREDS: '/creds',
          RAFTNS_DNS_LISTEN: '127.0.0.2:53',
          RAFTNS_READ_MODE: 'lease',
          RAFTNS_GROUP: 'root',
          RAFTNS_PEERS: 'i-a,i-env,i-c',
          RAFTNS_RAFT_TICK_MS: '20',
          RAFTNS_RAFT_SNAPSHOT_THRESHOLD: '100',
          RAFTNS_LOG_LEVEL: 'warn',
          RAFTNS_PLACEMENT: 'log+election',
          RAFTNS_SHUTDOWN_DRAIN_TIMEOUT_MS: '750',
          RAFTNS_REGION_REPAIR_MS: '1500',
          RAFTNS_SUPERVISION_MAX_RESTARTS: '0',
          RAFTNS_SUPERVISION_WINDOW_MS: '1000',
          RAFTNS_SUPERVISION_BACKOFF_BASE_MS: '10',
          RAFTNS_SUPERVISION_BACKOFF_MAX_MS: '20',
        },
      });
      expect(config).to.deep.equal({
        cluster: 'c1',
        region: 'eu-west-1',
        instanceId: 'i-env',
        dataDir: '/data',
        bootstrap: false,
        group: 'root',
        peers: ['i-a', 'i-env', 'i-c'],
        nats: { urls: ['nats://a:1', 'nats://b:2'], credsFile: '/creds' },
        dns: {
          listen: ['127.0.0.2:53'],
          advertise: ['127.0.0.2'],
          rrlResponsesPerSecond: 20,
          rrlSlip: 2,
          tcpMaxConnectionsPerClient: 16,
        },
        readMode: 'lease',
        raft: { tickMs: 20, snapshotThresholdEntries: 100 },
        log: { level: 'warn' },
        placement: 'log+election',
        shutdown: { drainTimeoutMs: 750 },
        regionRepair: { periodMs: 1_500, tombstoneHorizonMs: 3_600_000 },
        supervision: { maxRestarts: 0, windowMs: 1000, backoffBaseMs: 10, backoffMaxMs: 20 },
      });
    });

    it('reads a config file named by --config or by RAFTNS_CONFIG', () => {
      const file = configFile({
        instanceId: 'i-file',
        dataDir: '/file',
        nats: { urls: ['nats://f:4222'] },
        dns: { listen: ['127.0.0.3:53'] },
        readMode: 'bounded:1000',
        supervision: { maxRestarts: 9 },
      });
      for (const input of [{ argv: ['--config', file] }, { env: { RAFTNS_CONFIG: file } }]) {
        const config = ok(input);
        expect(config).to.deep.include({ instanceId: 'i-file', dataDir: '/file', readMode: 'bounded:1000' });
        expect(config.nats.urls).to.deep.equal(['nats://f:4222']);
        expect(config.dns.listen).to.deep.equal(['127.0.0.3:53']);
        // Fields of a group the file sets only partly keep their defaults.
        expect(config.supervision).to.deep.equal({
          maxRestarts: 9,
          windowMs: 60_000,
          backoffBaseMs: 100,
          backoffMaxMs: 10_000,
        });
      }
    });

    it('reads only the environment it is given, not process.env', () => {
      const saved = process.env.RAFTNS_REGION;
      process.env.RAFTNS_REGION = 'from-process-env';
      try {
        expect(ok({ argv: REQUIRED, env: {} }).region).to.equal('local');
      } finally {
        if (saved === undefined) delete process.env.RAFTNS_REGION;
        else process.env.RAFTNS_REGION = saved;
      }
    });

    it('treats an empty environment variable as unset', () => {
      expect(ok({ argv: REQUIRED, env: { RAFTNS_REGION: '', RAFTNS_CONFIG: '' } }).region).to.equal('local');
    });
  });

  describe('precedence: flags > environment > config file > defaults', () => {
    const file = () =>
      configFile({ region: 'file-region', log: { level: 'error' }, nats: { urls: ['nats://file:1'] } });

    it('a flag beats the environment and the file', () => {
      const config = ok({
        argv: [
          ...REQUIRED,
          '--config',
          file(),
          '--region',
          'flag-region',
          '--log-level',
          'trace',
          '--nats',
          'nats://flag:1',
        ],
        env: { RAFTNS_REGION: 'env-region', RAFTNS_LOG_LEVEL: 'debug', RAFTNS_NATS_URLS: 'nats://env:1' },
      });
      expect(config.region).to.equal('flag-region');
      expect(config.log.level).to.equal('trace');
      expect(config.nats.urls).to.deep.equal(['nats://flag:1']);
    });

    it('the environment beats the file', () => {
      const config = ok({
        argv: [...REQUIRED, '--config', file()],
        env: { RAFTNS_REGION: 'env-region', RAFTNS_LOG_LEVEL: 'debug', RAFTNS_NATS_URLS: 'nats://env:1' },
      });
      expect(config.region).to.equal('env-region');
      expect(config.log.level).to.equal('debug');
      expect(config.nats.urls).to.deep.equal(['nats://env:1']);
    });

    it('the file beats the defaults, field by field', () => {
      const config = ok({ argv: [...REQUIRED, '--config', file()], env: { RAFTNS_LOG_LEVEL: 'debug' } });
      expect(config.region).to.equal('file-region');
      expect(config.log.level).to.equal('debug');
      expect(config.nats.urls).to.deep.equal(['nats://file:1']);
      expect(config.cluster).to.equal('local');
    });

    it('--config beats RAFTNS_CONFIG', () => {
      const byFlag = configFile({ region: 'by-flag' });
      const byEnv = configFile({ region: 'by-env' });
      expect(ok({ argv: [...REQUIRED, '--config', byFlag], env: { RAFTNS_CONFIG: byEnv } }).region).to.equal(
        'by-flag',
      );
    });
  });

  describe('Raft group: group, peers, raft timing', () => {
    it('reads --group, --peers, --tick-ms and --snapshot-threshold', () => {
      const config = ok({
        argv: [
          ...REQUIRED,
          '--group',
          'wikipedia_org',
          '--peers',
          'i-0abc, i-2,i-3',
          '--tick-ms',
          '5',
          '--snapshot-threshold',
          '64',
        ],
      });
      expect(config.group).to.equal('wikipedia_org');
      expect(config.peers).to.deep.equal(['i-0abc', 'i-2', 'i-3']);
      expect(config.raft).to.deep.equal({ tickMs: 5, snapshotThresholdEntries: 64 });
    });

    it('reads them from a config file, keeping defaults for what it leaves out', () => {
      const file = configFile({ group: 'g7', peers: ['i-0abc', 'i-9'], raft: { tickMs: 25 } });
      const config = ok({ argv: [...REQUIRED, '--config', file] });
      expect(config).to.deep.include({ group: 'g7' });
      expect(config.peers).to.deep.equal(['i-0abc', 'i-9']);
      expect(config.raft).to.deep.equal({ tickMs: 25, snapshotThresholdEntries: 8_192 });
    });

    it('defaults peers to the instance alone, whichever source named the instance', () => {
      expect(ok({ env: { RAFTNS_INSTANCE_ID: 'solo', RAFTNS_DATA_DIR: '/d' } }).peers).to.deep.equal([
        'solo',
      ]);
    });

    it('requires peers to include this instance, naming both sources', () => {
      expect(errors({ argv: [...REQUIRED, '--peers', 'i-1,i-2,i-3'] })).to.deep.equal([
        "peers i-1,i-2,i-3 (--peers) must include this replica's instanceId i-0abc (--instance-id)",
      ]);
      const file = configFile({ peers: ['x', 'y'] });
      expect(errors({ argv: [...REQUIRED, '--config', file] })).to.deep.equal([
        `peers x,y (config file ${file}) must include this replica's instanceId i-0abc (--instance-id)`,
      ]);
    });

    it('rejects repeated, empty, too many or non-token peers', () => {
      expect(errors({ argv: [...REQUIRED, '--peers', 'i-0abc,i-2,i-2'] })).to.deep.equal([
        '--peers "i-0abc,i-2,i-2": expected distinct instance ids',
      ]);
      expect(errors({ argv: [...REQUIRED, '--peers', ' , '] })).to.deep.equal([
        '--peers " , ": expected at least one instance id',
      ]);
      const many = Array.from({ length: 8 }, (_, i) => `i-${i}`).join(',');
      expect(errors({ argv: [...REQUIRED, '--peers', many] })).to.deep.equal([
        `--peers "${many}": expected at most 7 instance ids`,
      ]);
      const seven = ['i-0abc', ...Array.from({ length: 6 }, (_, i) => `i-${i}`)].join(',');
      expect(ok({ argv: [...REQUIRED, '--peers', seven] }).peers).to.have.length(7);
      expect(errors({ argv: [...REQUIRED, '--peers', 'i-0abc,a.b'] })).to.deep.equal([
        '--peers "i-0abc,a.b": entry 2: expected 1-64 letters, digits, "-" or "_"',
      ]);
    });

    it('rejects a group that is not a subject token and out-of-range timings', () => {
      expect(errors({ argv: [...REQUIRED, '--group', 'wikipedia.org'] })).to.deep.equal([
        '--group "wikipedia.org": expected 1-64 letters, digits, "-" or "_"',
      ]);
      expect(errors({ argv: [...REQUIRED, '--tick-ms', '0'] })).to.deep.equal([
        '--tick-ms "0": expected an integer from 1 to 1000',
      ]);
      expect(errors({ argv: [...REQUIRED, '--snapshot-threshold', 'many'] })).to.deep.equal([
        '--snapshot-threshold "many": expected an integer',
      ]);
    });
  });

  describe('errors name their source and field', () => {
    it('rejects a NATS URL that is not nats:// or tls://, from each source', () => {
      expect(errors({ argv: [...REQUIRED, '--nats', 'http://n1:4222'] })).to.deep.equal([
        '--nats "http://n1:4222": expected a nats:// or tls:// URL, such as nats://127.0.0.1:4222',
      ]);
      expect(errors({ argv: REQUIRED, env: { RAFTNS_NATS_URLS: 'nats://ok:1,not a url' } })).to.deep.equal([
        'RAFTNS_NATS_URLS "nats://ok:1,not a url": entry 2: expected a nats:// or tls:// URL, such as nats://127.0.0.1:4222',
      ]);
      const file = configFile({ nats: { urls: ['nats://ok:1', 'n2:4222'] } });
      expect(errors({ argv: [...REQUIRED, '--config', file] })).to.deep.equal([
        `config file ${file}: nats.urls[1] "n2:4222": expected a nats:// or tls:// URL, such as nats://127.0.0.1:4222`,
      ]);
    });

    it('rejects an empty URL list', () => {
      expect(errors({ argv: [...REQUIRED, '--nats', ' , '] })).to.deep.equal([
        '--nats " , ": expected at least one URL',
      ]);
      const file = configFile({ nats: { urls: [] } });
      expect(errors({ argv: [...REQUIRED, '--config', file] })).to.deep.equal([
        `config file ${file}: nats.urls: expected at least one URL`,
      ]);
    });

    it('rejects a DNS listener that is not host:port', () => {
      expect(errors({ argv: [...REQUIRED, '--dns', 'x'] })).to.deep.equal([
        '--dns "x": expected host:port[@mode], such as 127.0.0.1:53, [::1]:53 or 127.0.0.1:5353@bounded:2000',
      ]);
      for (const bad of [
        '127.0.0.1',
        '127.0.0.1:65536',
        '::1:53',
        '[zz]:53',
        'a b:53',
        ':53',
        '127.0.0.1:-1',
      ]) {
        expect(errors({ argv: [...REQUIRED, '--dns', bad] }), bad).to.have.length(1);
      }
      for (const good of ['127.0.0.1:53', '[::1]:53', 'localhost:5353', 'ns1.example.org:53', '0.0.0.0:0']) {
        expect(ok({ argv: [...REQUIRED, '--dns', good] }).dns.listen, good).to.deep.equal([good]);
      }
    });

    it('reads the actor placement from --placement or RAFTNS_PLACEMENT, and rejects unknown or repeated actors', () => {
      const grouped = 'election+log+state-machine | identity+storage | dns';
      expect(ok({ argv: [...REQUIRED, '--placement', grouped] }).placement).to.equal(grouped);
      expect(ok({ argv: REQUIRED, env: { RAFTNS_PLACEMENT: 'one-per-thread' } }).placement).to.equal(
        'one-per-thread',
      );
      expect(errors({ argv: [...REQUIRED, '--placement', 'log+raft'] })).to.deep.equal([
        '--placement "log+raft": unknown actor raft; actors are identity, storage, log, state-machine, election, dns, aws-lease, aws-serving',
      ]);
      expect(errors({ argv: [...REQUIRED, '--placement', 'log+storage|log'] })[0]).to.match(
        /actor log is placed twice/,
      );
      expect(errors({ argv: [...REQUIRED, '--placement', ''] })).to.have.length(1);
    });

    it('names only actors a placement may group', () => {
      const names = replicaActorSpecs(ok({ argv: REQUIRED })).map((spec) => spec.name);
      for (const name of names) expect(REPLICA_ACTOR_NAMES).to.include(name);
    });

    it('rejects a read mode other than linearizable, lease or bounded:<ms>', () => {
      for (const bad of [
        'fast',
        'Lease',
        'bounded',
        'bounded:',
        'bounded:0',
        'bounded:-5',
        'bounded:1.5',
        'bounded:abc',
      ]) {
        expect(errors({ argv: [...REQUIRED, '--read-mode', bad] }), bad).to.deep.equal([
          `--read-mode ${JSON.stringify(bad)}: expected "linearizable", "lease" or "bounded:<ms>" with 1 <= ms <= 3600000`,
        ]);
      }
      expect(errors({ argv: [...REQUIRED, '--read-mode', 'bounded:3600001'] })).to.have.length(1);
      expect(ok({ argv: [...REQUIRED, '--read-mode', 'bounded:3600000'] }).readMode).to.equal(
        'bounded:3600000',
      );
      expect(ok({ argv: [...REQUIRED, '--read-mode', 'lease'] }).readMode).to.equal('lease');
    });

    it('requires instanceId and dataDir, saying where to set them', () => {
      expect(errors({ argv: ['--data-dir', '/d'] })).to.deep.equal([
        'instanceId is required: set --instance-id, RAFTNS_INSTANCE_ID or "instanceId" in the config file',
      ]);
      expect(errors({})).to.deep.equal([
        'instanceId is required: set --instance-id, RAFTNS_INSTANCE_ID or "instanceId" in the config file',
        'dataDir is required: set --data-dir, RAFTNS_DATA_DIR or "dataDir" in the config file',
      ]);
    });

    it('rejects names that cannot be a NATS subject token', () => {
      expect(errors({ argv: [...REQUIRED, '--region', 'us.east'] })).to.deep.equal([
        '--region "us.east": expected 1-64 letters, digits, "-" or "_"',
      ]);
      expect(errors({ argv: REQUIRED, env: { RAFTNS_INSTANCE_ID: 'a>b' } })).to.have.length(1);
      expect(errors({ argv: ['--instance-id', 'i*', '--data-dir', '/d'] })).to.have.length(1);
    });

    it('rejects a log level pino does not know', () => {
      expect(errors({ argv: [...REQUIRED, '--log-level', 'verbose'] })).to.deep.equal([
        '--log-level "verbose": expected one of trace, debug, info, warn, error, fatal, silent',
      ]);
    });

    it('rejects unknown flags, stray arguments, missing values and repeated flags', () => {
      const [unknown, ...rest] = errors({ argv: [...REQUIRED, '--regoin', 'eu'] });
      expect(rest).to.deep.equal([]);
      expect(unknown).to.match(/^unknown flag --regoin; known flags: --cluster, --region, --instance-id/);
      expect(errors({ argv: [...REQUIRED, '-r'] })[0]).to.match(/^unknown flag -r;/);
      expect(errors({ argv: [...REQUIRED, 'serve'] })).to.deep.equal([
        'unexpected argument "serve": every setting is a --flag',
      ]);
      expect(errors({ argv: ['--instance-id', 'i', '--data-dir'] })).to.deep.equal([
        '--data-dir: expected a value',
      ]);
      expect(errors({ argv: ['--instance-id', 'i', '--data-dir', '--region', 'eu'] })).to.deep.equal([
        '--data-dir: expected a value',
        'unexpected argument "eu": every setting is a --flag',
      ]);
      expect(errors({ argv: [...REQUIRED, '--region', 'a', '--region=b'] })).to.deep.equal([
        '--region given more than once',
      ]);
    });

    it('rejects environment integers that are not integers or out of range', () => {
      expect(errors({ argv: REQUIRED, env: { RAFTNS_SHUTDOWN_DRAIN_TIMEOUT_MS: '5s' } })).to.deep.equal([
        'RAFTNS_SHUTDOWN_DRAIN_TIMEOUT_MS "5s": expected an integer',
      ]);
      expect(errors({ argv: REQUIRED, env: { RAFTNS_SUPERVISION_MAX_RESTARTS: '-1' } })).to.deep.equal([
        'RAFTNS_SUPERVISION_MAX_RESTARTS "-1": expected an integer from 0 to 1000',
      ]);
    });

    it('reports a config file that is not valid JSON, with its position', () => {
      const truncated = configFile('{\n  "region": "eu",\n  "cluster": "c"');
      const [message, ...rest] = errors({ argv: [...REQUIRED, '--config', truncated] });
      expect(rest).to.deep.equal([]);
      expect(message).to.match(
        new RegExp(`^config file ${truncated}: not valid JSON at line 3 column 17 \\(`),
      );

      const badToken = configFile('{ "region": }');
      expect(errors({ argv: [...REQUIRED, '--config', badToken] })[0]).to.match(
        new RegExp(`^config file ${badToken}: not valid JSON`),
      );
    });

    it('reports a config file that cannot be read or is not an object', () => {
      const missing = join(dir, 'missing.json');
      expect(errors({ argv: [...REQUIRED, '--config', missing] })).to.deep.equal([
        `config file ${missing}: cannot read it (ENOENT)`,
      ]);
      const array = configFile([1, 2]);
      expect(errors({ argv: [...REQUIRED, '--config', array] })).to.deep.equal([
        `config file ${array}: expected a JSON object, got array`,
      ]);
      expect(errors({ argv: [...REQUIRED, '--config', ''] })).to.deep.equal([
        '--config: expected a non-empty path',
      ]);
    });

    it('reports wrong types and unknown fields in a config file, one line each', () => {
      const file = configFile({
        region: 5,
        regoin: 'eu',
        nats: { urls: 'nats://a:1', url: 'x' },
        log: 'debug',
        supervision: { maxRestarts: '5', windowMs: 1.5 },
        readMode: 'eventual',
      });
      expect(errors({ argv: [...REQUIRED, '--config', file] })).to.have.members([
        `config file ${file}: region: expected string, got number`,
        `config file ${file}: nats.urls: expected array, got string`,
        `config file ${file}: unknown field "nats.url"`,
        `config file ${file}: readMode "eventual": expected "linearizable", "lease" or "bounded:<ms>" with 1 <= ms <= 3600000`,
        `config file ${file}: log: expected an object, got string`,
        `config file ${file}: supervision.maxRestarts: expected number, got string`,
        `config file ${file}: supervision.windowMs 1.5: expected an integer from 1 to 86400000`,
        `config file ${file}: unknown field "regoin"`,
      ]);
    });

    it('reports problems from every source at once', () => {
      const file = configFile({ region: 'a.b' });
      expect(
        errors({
          argv: ['--config', file, '--dns', 'nope', '--instance-id', 'i', '--data-dir', '/d'],
          env: { RAFTNS_READ_MODE: 'whenever' },
        }),
      ).to.have.length(3);
    });

    it('rejects a backoff base above its maximum, naming where each came from', () => {
      const file = configFile({ supervision: { backoffBaseMs: 500 } });
      expect(
        errors({
          argv: [...REQUIRED, '--config', file],
          env: { RAFTNS_SUPERVISION_BACKOFF_MAX_MS: '200' },
        }),
      ).to.deep.equal([
        `supervision.backoffBaseMs 500 (config file ${file}) must not exceed supervision.backoffMaxMs 200 (RAFTNS_SUPERVISION_BACKOFF_MAX_MS)`,
      ]);
    });
  });

  describe('bootstrap mode and the advertised DNS address', () => {
    it('takes --bootstrap without a value, RAFTNS_BOOTSTRAP=1/true and "bootstrap" in the file', () => {
      expect(ok({ argv: [...REQUIRED, '--bootstrap'] }).bootstrap).to.equal(true);
      expect(ok({ argv: REQUIRED, env: { RAFTNS_BOOTSTRAP: '1' } }).bootstrap).to.equal(true);
      expect(ok({ argv: REQUIRED, env: { RAFTNS_BOOTSTRAP: 'true' } }).bootstrap).to.equal(true);
      expect(ok({ argv: REQUIRED, env: { RAFTNS_BOOTSTRAP: '0' } }).bootstrap).to.equal(false);
      const file = configFile({ bootstrap: true });
      expect(ok({ argv: [...REQUIRED, '--config', file] }).bootstrap).to.equal(true);
      expect(ok({ argv: REQUIRED }).bootstrap).to.equal(false);
    });

    it('rejects a bootstrap value that is not a boolean', () => {
      expect(errors({ argv: REQUIRED, env: { RAFTNS_BOOTSTRAP: 'yes' } })).to.deep.equal([
        'RAFTNS_BOOTSTRAP "yes": expected 1, 0, true or false',
      ]);
    });

    it('refuses --group and --peers in bootstrap mode, naming where each came from', () => {
      const found = errors({
        argv: [...REQUIRED, '--bootstrap', '--group', 'root', '--peers', 'i-0abc,i-2,i-3'],
      });
      expect(found).to.have.length(2);
      expect(found[0]).to.match(/^group \(--group\) must not be set in bootstrap mode \(--bootstrap/);
      expect(found[1]).to.match(/^peers \(--peers\) must not be set in bootstrap mode/);
      const viaEnv = errors({ argv: REQUIRED, env: { RAFTNS_BOOTSTRAP: '1', RAFTNS_GROUP: 'g2' } });
      expect(viaEnv).to.have.length(1);
      expect(viaEnv[0]).to.match(
        /^group \(RAFTNS_GROUP\) must not be set in bootstrap mode \(RAFTNS_BOOTSTRAP\)/,
      );
    });

    it('advertises the first listener host by default, --dns-advertise otherwise', () => {
      expect(ok({ argv: [...REQUIRED, '--dns', '192.0.2.7:53,127.0.0.1:53'] }).dns.advertise).to.deep.equal([
        '192.0.2.7',
      ]);
      expect(
        ok({ argv: [...REQUIRED, '--dns', '0.0.0.0:53', '--dns-advertise', '192.0.2.1, 2001:db8::1'] }).dns
          .advertise,
      ).to.deep.equal(['192.0.2.1', '2001:db8::1']);
      expect(ok({ argv: REQUIRED, env: { RAFTNS_DNS_ADVERTISE: '192.0.2.9' } }).dns.advertise).to.deep.equal([
        '192.0.2.9',
      ]);
    });

    it('leaves advertise unset for a wildcard or host-name listener, which bootstrap mode refuses', () => {
      expect(ok({ argv: [...REQUIRED, '--dns', '0.0.0.0:53'] }).dns).to.not.have.property('advertise');
      expect(ok({ argv: [...REQUIRED, '--dns', '[::]:53'] }).dns).to.not.have.property('advertise');
      expect(ok({ argv: [...REQUIRED, '--dns', 'localhost:53'] }).dns).to.not.have.property('advertise');
      const found = errors({ argv: [...REQUIRED, '--bootstrap', '--dns', '0.0.0.0:53'] });
      expect(found).to.have.length(1);
      expect(found[0]).to.match(/^dns\.advertise is required in bootstrap mode .*--dns-advertise/);
    });

    it('rejects an advertised address that is not a specific IP address', () => {
      for (const bad of ['0.0.0.0', '::', 'ns1.example.']) {
        const found = errors({ argv: [...REQUIRED, '--dns-advertise', bad] });
        expect(found).to.deep.equal([
          `--dns-advertise ${JSON.stringify(bad)}: expected an IP address other than 0.0.0.0 or ::, such as 192.0.2.1`,
        ]);
      }
    });
  });

  describe('aws: the target group the AWS-lease actor keeps on the leader', () => {
    const ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/dns/0123456789abcdef';

    it('has no aws section unless a target group is set', () => {
      expect(ok({ argv: REQUIRED })).to.not.have.property('aws');
      expect(awsLeaseActors(ok({ argv: REQUIRED }))).to.deep.equal([]);
      expect(replicaActorSpecs(ok({ argv: REQUIRED })).map((s) => s.name)).to.not.include('aws-lease');
    });

    it("defaults the region to the ARN's, the address to the first advertised one, port 53, 5 s reconcile", () => {
      const config = ok({ argv: [...REQUIRED, '--dns', '192.0.2.7:5300', '--aws-target-group', ARN] });
      expect(config.aws).to.deep.equal({
        targetGroupArn: ARN,
        region: 'eu-west-1',
        targetAddress: '192.0.2.7',
        targetPort: 53,
        reconcileMs: 5_000,
      });
      expect(regionOfArn(ARN)).to.equal('eu-west-1');
    });

    it('reads every aws flag, environment variable and config-file field', () => {
      const flags = [
        '--aws-target-group',
        ARN,
        '--aws-region',
        'us-east-2',
        '--aws-endpoint',
        'http://127.0.0.1:4566',
        '--aws-target-address',
        '10.1.2.3',
        '--aws-target-port',
        '5353',
        '--aws-reconcile-ms',
        '1000',
      ];
      const expected = {
        targetGroupArn: ARN,
        region: 'us-east-2',
        endpoint: 'http://127.0.0.1:4566',
        targetAddress: '10.1.2.3',
        targetPort: 5353,
        reconcileMs: 1_000,
      };
      expect(ok({ argv: [...REQUIRED, ...flags] }).aws).to.deep.equal(expected);
      const env = {
        RAFTNS_AWS_TARGET_GROUP: ARN,
        RAFTNS_AWS_REGION: 'us-east-2',
        RAFTNS_AWS_ENDPOINT: 'http://127.0.0.1:4566',
        RAFTNS_AWS_TARGET_ADDRESS: '10.1.2.3',
        RAFTNS_AWS_TARGET_PORT: '5353',
        RAFTNS_AWS_RECONCILE_MS: '1000',
      };
      expect(ok({ argv: REQUIRED, env }).aws).to.deep.equal(expected);
      const file = configFile({ aws: expected });
      expect(ok({ argv: [...REQUIRED, '--config', file] }).aws).to.deep.equal(expected);
      // Flags beat the environment.
      expect(ok({ argv: [...REQUIRED, '--aws-target-port', '53'], env }).aws?.targetPort).to.equal(53);
    });

    it('puts the AWS-lease actor after the Raft actors, with the configured target', () => {
      const config = ok({
        argv: [
          ...REQUIRED,
          '--dns',
          '192.0.2.7:53',
          '--aws-target-group',
          ARN,
          '--aws-endpoint',
          'http://h:1',
        ],
      });
      const names = replicaActorSpecs(config).map((s) => s.name);
      expect(names.indexOf('aws-lease')).to.be.greaterThan(names.indexOf('election'));
      const [spec] = awsLeaseActors(config);
      expect(spec?.exportName).to.equal('createAwsLeaseActor');
      expect(spec?.options).to.deep.include({
        targetGroupArn: ARN,
        awsRegion: 'eu-west-1',
        endpoint: 'http://h:1',
        targetAddress: '192.0.2.7',
        targetPort: 53,
        reconcileMs: 5_000,
      });
    });

    it('with a serving target group too, an AWS-serving actor on it beside the AWS-lease actor', () => {
      const SERVING =
        'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/dns-all/0123456789abcdef';
      const config = ok({
        argv: [
          ...REQUIRED,
          '--dns',
          '192.0.2.7:53',
          '--aws-target-group',
          ARN,
          '--aws-serving-target-group',
          SERVING,
        ],
      });
      expect(config.aws?.servingTargetGroupArn).to.equal(SERVING);
      const specs = awsLeaseActors(config);
      expect(specs.map((s) => s.name)).to.deep.equal(['aws-lease', 'aws-serving']);
      expect(specs[0]?.options).to.deep.include({ targetGroupArn: ARN });
      expect(specs[1]?.exportName).to.equal('createAwsServingActor');
      expect(specs[1]?.options).to.deep.include({
        targetGroupArn: SERVING,
        awsRegion: 'eu-west-1',
        targetAddress: '192.0.2.7',
        targetPort: 53,
        unservingGraceMs: 3_000,
      });
      expect(
        errors({ argv: [...REQUIRED, '--aws-target-group', ARN, '--aws-serving-target-group', 'tg-1'] })[0],
      ).to.match(/^--aws-serving-target-group "tg-1": expected a target group ARN/);
    });

    it('rejects aws values without a target group, bad ARNs, regions, endpoints and addresses', () => {
      expect(errors({ argv: [...REQUIRED, '--aws-region', 'us-east-1'] })).to.deep.equal([
        'aws.region (--aws-region) is set but aws.targetGroupArn is not: set --aws-target-group, ' +
          'RAFTNS_AWS_TARGET_GROUP or "aws.targetGroupArn" in the config file',
      ]);
      expect(errors({ argv: [...REQUIRED, '--aws-target-group', 'tg-1'] })[0]).to.match(
        /^--aws-target-group "tg-1": expected a target group ARN/,
      );
      expect(
        errors({ argv: [...REQUIRED, '--aws-target-group', ARN, '--aws-region', 'mars'] }),
      ).to.deep.equal(['--aws-region "mars": expected an AWS region, such as us-east-1']);
      expect(
        errors({ argv: [...REQUIRED, '--aws-target-group', ARN], env: { RAFTNS_AWS_ENDPOINT: 'ftp://x' } }),
      ).to.deep.equal(['RAFTNS_AWS_ENDPOINT "ftp://x": expected an http:// or https:// URL']);
      expect(
        errors({ argv: [...REQUIRED, '--aws-target-group', ARN, '--aws-target-address', '0.0.0.0'] }),
      ).to.have.length(1);
      expect(
        errors({ argv: [...REQUIRED, '--aws-target-group', ARN, '--aws-target-port', '0'] }),
      ).to.deep.equal(['--aws-target-port "0": expected an integer from 1 to 65535']);
    });

    it('needs a target address when no DNS address is advertised, and a region when the ARN names none', () => {
      const found = errors({ argv: [...REQUIRED, '--dns', '0.0.0.0:53', '--aws-target-group', ARN] });
      expect(found).to.have.length(1);
      expect(found[0]).to.match(/^aws\.targetAddress is required .*--aws-target-address/);
      const noRegion = 'arn:aws:elasticloadbalancing::123456789012:targetgroup/dns/0123456789abcdef';
      expect(errors({ argv: [...REQUIRED, '--aws-target-group', noRegion] })[0]).to.match(
        /^aws\.region is required when the target group ARN \(--aws-target-group\) names none/,
      );
      expect(
        ok({ argv: [...REQUIRED, '--aws-target-group', noRegion, '--aws-region', 'us-west-2'] }).aws?.region,
      ).to.equal('us-west-2');
    });
  });

  describe('parseHostPort', () => {
    it('splits IPv4, IPv6 and host names from the port', () => {
      expect(parseHostPort('127.0.0.1:53')).to.deep.equal({ host: '127.0.0.1', port: 53 });
      expect(parseHostPort('[::1]:5353')).to.deep.equal({ host: '::1', port: 5353 });
      expect(parseHostPort('localhost:1')).to.deep.equal({ host: 'localhost', port: 1 });
      expect(parseHostPort('localhost')).to.equal(undefined);
    });
  });

  describe('parseDnsListener', () => {
    it('takes an optional read mode after @', () => {
      expect(parseDnsListener('127.0.0.1:53')).to.deep.equal({ host: '127.0.0.1', port: 53 });
      expect(parseDnsListener('[::1]:5353@bounded:2000')).to.deep.equal({
        host: '::1',
        port: 5353,
        mode: 'bounded:2000',
      });
      expect(parseDnsListener('127.0.0.1:53@linearizable')).to.deep.equal({
        host: '127.0.0.1',
        port: 53,
        mode: 'linearizable',
      });
      expect(parseDnsListener('127.0.0.1:53@fast')).to.equal(undefined);
      expect(parseDnsListener('127.0.0.1:53@bounded:0')).to.equal(undefined);
      expect(parseDnsListener('@lease')).to.equal(undefined);
    });
  });
});
