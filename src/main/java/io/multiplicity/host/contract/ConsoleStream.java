package io.multiplicity.host.contract;

import java.io.Closeable;
import java.io.InputStream;
import java.io.OutputStream;

/** A console: its output to read, its input to write. Closing it leaves the instance running. */
public interface ConsoleStream extends Closeable {
    /** What the console prints. */
    InputStream fromConsole();

    /** What is typed into the console. */
    OutputStream toConsole();

    /**
     * Sets the terminal's window size ({@code TIOCSWINSZ}), so that programs in the instance lay out
     * their screen for the viewer's window. Only consoles with a window size carry it (a jail's PTY);
     * a serial line (a VM's UART) has none, and ignores it.
     *
     * @return whether the console has a window size and took this one
     */
    default boolean resize(int columns, int rows) throws java.io.IOException {
        return false;
    }
}
