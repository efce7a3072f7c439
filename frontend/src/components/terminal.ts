// The generic terminal: xterm.js with its fit addon, sized to its container. It knows nothing of
// sockets; the page connects its input and output to a ConsoleConnection.

import '@xterm/xterm/css/xterm.css';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { TERMINAL_FONT_SIZES } from '../util/terminalFont';

export interface TerminalHandle {
  /** Bytes (or text) from the console to show. */
  write(data: Uint8Array | string): void;
  focus(): void;
  /** Fits the terminal to its container; answers the new size. */
  fit(): { cols: number; rows: number };
  clear(): void;
  /** The text the user selected with the mouse ('' when none). */
  selection(): string;
  /** Types text as a paste (bracketed when the program asked for it). */
  paste(text: string): void;
  /** Sets the font size in CSS pixels and refits. */
  setFontSize(pixels: number): void;
  dispose(): void;
}

export function createTerminal(
  container: HTMLElement,
  handlers: { onInput: (data: string) => void; onResize: (cols: number, rows: number) => void },
  fontSize: number = TERMINAL_FONT_SIZES.default,
): TerminalHandle {
  const terminal = new Terminal({
    cursorBlink: true,
    convertEol: false,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
    fontSize,
    // At line height 1 the DOM renderer's rows are as tall as the font's ascent plus descent
    // rounded down, and at device scale factor 1 that cuts the underscore (drawn below the
    // baseline, at the very bottom of the cell) off: "a_b" showed as "a b". A little more
    // height per row keeps it inside.
    lineHeight: 1.15,
    scrollback: 5000,
    screenReaderMode: false,
    theme: { background: '#10141c', foreground: '#e6e9ef' },
  });
  const fitAddon = new FitAddon();
  terminal.loadAddon(fitAddon);
  terminal.open(container);
  const inputSubscription = terminal.onData(handlers.onInput);
  const binarySubscription = terminal.onBinary((data) => handlers.onInput(data));
  const resizeSubscription = terminal.onResize(({ cols, rows }) => handlers.onResize(cols, rows));
  const fit = () => {
    try {
      fitAddon.fit();
    } catch {
      // the container is not laid out (hidden tab)
    }
    return { cols: terminal.cols, rows: terminal.rows };
  };
  const observer = new ResizeObserver(() => fit());
  observer.observe(container);
  fit();
  return {
    write: (data) => terminal.write(data),
    focus: () => terminal.focus(),
    fit,
    clear: () => terminal.clear(),
    selection: () => terminal.getSelection(),
    paste: (text) => terminal.paste(text),
    setFontSize: (pixels) => {
      terminal.options.fontSize = pixels;
      fit();
    },
    dispose: () => {
      observer.disconnect();
      inputSubscription.dispose();
      binarySubscription.dispose();
      resizeSubscription.dispose();
      terminal.dispose();
    },
  };
}
