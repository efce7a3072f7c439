import { describe, expect, it } from 'vitest';
import { keyEvents } from './vncKeys';

describe('VNC key menu', () => {
  it('holds Ctrl and Alt around Delete', () => {
    expect(keyEvents('ctrl-alt-del')).toEqual([
      { down: true, keysym: 0xffe3 }, { down: true, keysym: 0xffe9 }, { down: true, keysym: 0xffff },
      { down: false, keysym: 0xffff }, { down: false, keysym: 0xffe9 }, { down: false, keysym: 0xffe3 },
    ]);
  });

  it('maps function keys to their keysyms', () => {
    expect(keyEvents('ctrl-alt-f2')[2]).toEqual({ down: true, keysym: 0xffbf });
    expect(keyEvents('ctrl-alt-f7')[2]).toEqual({ down: true, keysym: 0xffc4 });
    expect(keyEvents('escape')).toEqual([{ down: true, keysym: 0xff1b }, { down: false, keysym: 0xff1b }]);
  });
});
