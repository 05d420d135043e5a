import { expect } from 'chai';
import fc from 'fast-check';
import { compareStrings, SortedMap } from '../../runtime/sorted-map.js';

type Op = { readonly set: string; readonly value: number } | { readonly delete: string };

describe('runtime/sorted-map', () => {
  it('agrees with a Map sorted on demand, for any sequence of sets and deletes', () => {
    const key = fc.string({ maxLength: 3 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ set: key, value: fc.integer() }),
      fc.record({ delete: key }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), key, (ops, probe) => {
        const map = SortedMap.empty<string, number>(compareStrings);
        const model = new Map<string, number>();
        for (const o of ops) {
          if ('set' in o) {
            expect(map.set(o.set, o.value)).to.equal(model.get(o.set));
            model.set(o.set, o.value);
          } else {
            expect(map.delete(o.delete)).to.equal(model.get(o.delete));
            model.delete(o.delete);
          }
        }
        const sorted = [...model.keys()].sort(compareStrings);
        expect(map.size).to.equal(sorted.length);
        expect(sorted.map((_, i) => map.keyAt(i))).to.deep.equal(sorted);
        expect(map.values()).to.deep.equal(sorted.map((k) => model.get(k)));
        expect(map.get(probe)).to.equal(model.get(probe));
        expect(map.lowerBound(probe)).to.equal(sorted.filter((k) => k < probe).length);
        expect(map.upperBound(probe)).to.equal(sorted.filter((k) => k <= probe).length);
      }),
    );
  });

  it('clones independently and refuses positions outside the map', () => {
    const map = SortedMap.fromSorted(compareStrings, [
      ['a', 1],
      ['b', 2],
    ]);
    const copy = map.clone();
    copy.set('c', 3);
    copy.delete('a');
    expect(map.values()).to.deep.equal([1, 2]);
    expect(copy.values()).to.deep.equal([2, 3]);
    expect(() => map.keyAt(2)).to.throw(RangeError);
    expect(() => map.valueAt(-1)).to.throw(RangeError);
  });
});
