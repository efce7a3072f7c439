import { describe, expect, it } from 'vitest';
import { compareKeys, sortRows } from './sort';

describe('table sorting', () => {
  it('orders numbers by value and text with numbers inside naturally', () => {
    expect(['10', '9', '100'].sort(compareKeys)).toEqual(['9', '10', '100']);
    expect(['j10', 'j2', 'J1'].sort(compareKeys)).toEqual(['J1', 'j2', 'j10']);
  });

  it('sorts both ways, stable, blanks last', () => {
    const rows = [{ k: 'b' }, { k: '—' }, { k: 'a' }, { k: 'b', second: true }];
    expect(sortRows(rows, (r) => r.k, 'ascending')).toEqual([{ k: 'a' }, { k: 'b' }, { k: 'b', second: true }, { k: '—' }]);
    expect(sortRows(rows, (r) => r.k, 'descending')).toEqual([{ k: 'b' }, { k: 'b', second: true }, { k: 'a' }, { k: '—' }]);
  });
});
