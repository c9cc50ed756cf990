import assert from 'node:assert/strict';
import {srvrComplete} from '../../../src/zk/parse.js';
import {fixture} from './fixtures.js';

/** fourLetterWord can stop reading when srvr's reply is whole: checked on every prefix of real replies. */
describe('srvrComplete (real 3.8 replies)', () => {
  for (const name of ['srvr-leader.txt', 'srvr-follower.txt', 'srvr-observer.txt', 'srvr-not-serving.txt']) {
    it(`${name}: complete only once the whole reply is there`, () => {
      const text = fixture(name);
      assert.equal(srvrComplete(text), true, 'the whole reply is complete');
      const firstComplete = [...Array(text.length).keys()].find((i) => srvrComplete(text.slice(0, i + 1)));
      // nothing that matters comes after the point where it says "complete"
      assert.equal(text.slice(firstComplete! + 1).trim(), '', `complete too early at ${firstComplete}: ${JSON.stringify(text.slice(firstComplete! + 1))}`);
    });
  }
  it("a leader's reply is not complete before its Proposal sizes line", () => {
    const text = fixture('srvr-leader.txt');
    assert.match(text, /^Proposal sizes/m);
    assert.equal(srvrComplete(text.slice(0, text.indexOf('Proposal sizes'))), false);
  });
});
