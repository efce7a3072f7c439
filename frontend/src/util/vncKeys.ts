// Keys the graphical console's key menu sends: combinations the browser or the desktop would keep
// for themselves. X11 keysyms (RFC 6143 7.5.4) with the DOM key codes noVNC also wants.

interface Key { keysym: number; code: string }

const CONTROL: Key = { keysym: 0xffe3, code: 'ControlLeft' };
const ALT: Key = { keysym: 0xffe9, code: 'AltLeft' };
const fKey = (n: number): Key => ({ keysym: 0xffbe + n - 1, code: `F${n}` });

export const KEY_COMBINATIONS = {
  'ctrl-alt-del': [CONTROL, ALT, { keysym: 0xffff, code: 'Delete' }],
  'ctrl-alt-f1': [CONTROL, ALT, fKey(1)],
  'ctrl-alt-f2': [CONTROL, ALT, fKey(2)],
  'ctrl-alt-f7': [CONTROL, ALT, fKey(7)],
  'ctrl-alt-backspace': [CONTROL, ALT, { keysym: 0xff08, code: 'Backspace' }],
  escape: [{ keysym: 0xff1b, code: 'Escape' }],
  tab: [{ keysym: 0xff09, code: 'Tab' }],
  print: [{ keysym: 0xff61, code: 'PrintScreen' }],
} satisfies Record<string, Key[]>;

export type VncKey = keyof typeof KEY_COMBINATIONS;

/** The RFB KeyEvent messages (type 4) a combination becomes: presses in order, releases reversed. */
export function keyEvents(key: VncKey): { down: boolean; keysym: number }[] {
  const keys = KEY_COMBINATIONS[key];
  return [...keys.map(({ keysym }) => ({ down: true, keysym })), ...[...keys].reverse().map(({ keysym }) => ({ down: false, keysym }))];
}
