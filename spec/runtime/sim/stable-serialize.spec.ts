import { expect } from 'chai';
import { stableSerialize } from '../../../runtime/sim/stable-serialize.js';

describe('stableSerialize (trace digests)', () => {
  it('ignores key insertion order', () => {
    expect(stableSerialize({ a: 1, b: { c: 2, d: 3 } })).to.equal(
      stableSerialize({ b: { d: 3, c: 2 }, a: 1 }),
    );
  });

  it('tells apart values JSON would confuse', () => {
    const distinct = [
      undefined,
      null,
      0,
      -0,
      '0',
      0n,
      [undefined],
      [],
      {},
      { a: undefined },
      new Uint8Array([1, 2]),
      [1, 2],
      new Map([[1, 2]]),
      new Set([1]),
      Number.NaN,
    ];
    const texts = distinct.map(stableSerialize);
    expect(new Set(texts).size).to.equal(distinct.length);
  });

  it('serializes bytes as hex and bigint with a suffix', () => {
    expect(stableSerialize({ b: new Uint8Array([0, 255]), n: 12n })).to.equal('{"b":b:00ff,"n":12n}');
    const view = new Uint8Array([9, 1, 2, 9]).subarray(1, 3);
    expect(stableSerialize(view)).to.equal('b:0102');
  });

  it('orders Map and Set entries canonically', () => {
    expect(stableSerialize(new Set([2, 1]))).to.equal(stableSerialize(new Set([1, 2])));
    expect(
      stableSerialize(
        new Map([
          ['b', 1],
          ['a', 2],
        ]),
      ),
    ).to.equal(
      stableSerialize(
        new Map([
          ['a', 2],
          ['b', 1],
        ]),
      ),
    );
  });

  it('cuts cycles instead of looping', () => {
    const a: Record<string, unknown> = { x: 1 };
    a.self = a;
    expect(stableSerialize(a)).to.equal('{"self":<cut>,"x":1}');
  });

  it('includes error name, message and code', () => {
    const error = Object.assign(new Error('boom'), { code: 'E_BOOM' });
    expect(stableSerialize(error)).to.equal('Error("Error","boom","E_BOOM")');
  });
});
