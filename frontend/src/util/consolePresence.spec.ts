import { describe, expect, it } from 'vitest';
import { presenceOf } from './consolePresence';

describe('console presence line', () => {
  it('says who types and how many watch', () => {
    expect(presenceOf({ you: 'writer', writer: 'bob', viewers: 1 }, false)).toEqual({ text: 'You type', offerTakeOver: false });
    expect(presenceOf({ you: 'writer', writer: 'bob', viewers: 3 }, false)).toEqual({ text: 'You type · 3 viewers', offerTakeOver: false });
    expect(presenceOf({ you: 'reader', writer: 'alice', viewers: 2 }, false)).toEqual({ text: 'Watching · alice types · 2 viewers', offerTakeOver: true });
    expect(presenceOf({ you: 'reader', writer: null, viewers: 2 }, false).text).toBe('Watching · nobody types · 2 viewers');
  });

  it('never offers a viewer whose role cannot type to take over', () => {
    expect(presenceOf({ you: 'reader', writer: 'alice', viewers: 2 }, true)).toEqual({ text: 'Watching (your role cannot type) · alice types · 2 viewers', offerTakeOver: false });
  });
});
