import { expect } from 'chai';
import { BOUNDED_STALENESS_MS_MAX } from '../../protocol/limits.js';
import { formatReadMode, isReadModeText, parseReadMode, ReadModeError } from '../../protocol/read-mode.js';

describe('read mode text', () => {
  it('parses each kind and formats it back unchanged', () => {
    for (const text of [
      'linearizable',
      'lease',
      'bounded:1',
      'bounded:2000',
      `bounded:${BOUNDED_STALENESS_MS_MAX}`,
    ]) {
      const mode = parseReadMode(text);
      expect(mode, text).not.to.be.instanceOf(ReadModeError);
      expect(formatReadMode(mode as Exclude<typeof mode, ReadModeError>)).to.equal(text);
    }
    expect(parseReadMode('bounded:250')).to.deep.equal({ kind: 'bounded', maxStaleMs: 250 });
    expect(parseReadMode('lease')).to.deep.equal({ kind: 'lease' });
  });

  it('rejects malformed text as a syntax error', () => {
    for (const text of [
      '',
      'eventual',
      'Lease',
      'bounded',
      'bounded:',
      'bounded:0',
      'bounded:-5',
      'bounded:1.5',
      'bounded:abc',
      'bounded:01',
      ' lease',
      'bounded:12345678901',
    ]) {
      const error = parseReadMode(text);
      expect(error, text).to.be.instanceOf(ReadModeError);
      expect((error as ReadModeError).reason, text).to.equal('syntax');
      expect(isReadModeText(text), text).to.equal(false);
    }
  });

  it('rejects a staleness above the limit', () => {
    const error = parseReadMode(`bounded:${BOUNDED_STALENESS_MS_MAX + 1}`);
    expect(error).to.be.instanceOf(ReadModeError);
    expect((error as ReadModeError).reason).to.equal('staleness-above-max');
    expect(isReadModeText(`bounded:${BOUNDED_STALENESS_MS_MAX + 1}`)).to.equal(false);
  });

  it('accepts only strings as text', () => {
    expect(isReadModeText(undefined)).to.equal(false);
    expect(isReadModeText({ kind: 'lease' })).to.equal(false);
    expect(isReadModeText('lease')).to.equal(true);
  });
});
