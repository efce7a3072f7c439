import { expect, test, type WebSocketRoute } from '@playwright/test';
import { api, screenshot, signIn, skipLoudly, uniqueName, waitForInstance } from './helpers';
import { startWebSocketServer, type TestConnection } from './support/websocketServer';
import { decodePng } from './support/png';

// The serial console in a real browser: the terminal component (xterm.js), the connection state
// machine and the instance page, against a simulated console gateway (the instance and its
// console ticket are simulated too; everything else is the real panel). It checks the gateway
// protocol the portal speaks: binary frames both ways, resize and ping text frames, a fresh
// ticket for every reconnect.

const INSTANCE = '00000000-0000-4000-8000-0000000000c1';

test('the serial console shows the console, sends keystrokes and reconnects with a new ticket', async ({ page }) => {
  await signIn(page, 'bob');

  const now = new Date().toISOString();
  await page.route(`**/api/v1/instances/${INSTANCE}`, (route) => route.fulfill({
    json: {
      id: INSTANCE, name: 'console-demo', tenant: 'acme', kind: 'jail', type: 'j1.nano', image: 'busybox',
      vcpus: 1, memoryMiB: 64, diskGiB: 1, desiredState: 'running', state: 'running', address: '10.90.0.9',
      createdAt: now, updatedAt: now,
    },
  }));
  let tickets = 0;
  await page.route(`**/api/v1/instances/${INSTANCE}/console`, async (route) => {
    expect(route.request().method()).toBe('POST');
    expect(route.request().postDataJSON()).toEqual({ type: 'serial' });
    expect(route.request().headers()['x-requested-with']).toBe('JavaScript');
    tickets++;
    await route.fulfill({ json: { ticket: `t${tickets}`, url: `/ws/console/t${tickets}`, expiresAt: now } });
  });

  const sockets: WebSocketRoute[] = [];
  const controlFrames: unknown[] = [];
  await page.routeWebSocket(/\/ws\/console\/t\d+$/, (socket) => {
    sockets.push(socket);
    let line = '';
    socket.send(Buffer.from(`Connected to console-demo (${socket.url().split('/').pop()})\r\n/ # `));
    socket.onMessage((message) => {
      if (typeof message === 'string') {
        controlFrames.push(JSON.parse(message));
        return;
      }
      const text = message.toString('utf8');
      socket.send(Buffer.from(text.replace('\r', '\r\n')));
      line += text;
      if (line.endsWith('\r')) {
        if (line.trim() === 'hostname') socket.send(Buffer.from('console-demo\r\n/ # '));
        line = '';
      }
    });
  });

  await page.goto(`/#/instances/${INSTANCE}?tab=serial`);
  await expect(page.getByRole('heading', { level: 1, name: 'console-demo' })).toBeVisible();
  const status = page.getByTestId('console-status');
  await expect(status).toHaveText('Connected');
  const screen = page.locator('.xterm-rows');
  await expect(screen).toContainText('Connected to console-demo (t1)');
  await expect.poll(() => controlFrames.some((frame) => (frame as { type: string }).type === 'resize')).toBe(true);

  await page.locator('.xterm').click();
  await page.keyboard.type('hostname');
  await page.keyboard.press('Enter');
  await expect(screen.locator("div").filter({ hasText: /^console-demo\s*$/ })).toHaveCount(1);
  await screenshot(page, 'console-serial');

  // The gateway goes away: the portal says so, asks for a new ticket and connects again.
  await sockets[0].close({ code: 1011, reason: 'gateway restarting' });
  await expect(status).toHaveText('Connected', { timeout: 15_000 });
  expect(tickets).toBe(2);
  await expect(screen).toContainText('Connected to console-demo (t2)');

  // Leaving the tab closes the socket.
  let closedByPortal = false;
  sockets[1].onClose(() => { closedByPortal = true; });
  await page.getByRole('tab', { name: 'Overview' }).click();
  await expect.poll(() => closedByPortal).toBe(true);
});

/** A minimal RFB 3.8 server: version, security "None", ServerInit of a 640×480 true-colour screen. */
function simulateVncServer(connection: TestConnection, name: string, afterInit: Buffer[] = []): void {
  let received = Buffer.alloc(0);
  let stage: 'version' | 'security' | 'init' | 'running' = 'version';
  connection.send(Buffer.from('RFB 003.008\n'));
  connection.onMessage((message) => {
    if (stage === 'running') afterInit.push(message);
    received = Buffer.concat([received, message]);
    if (stage === 'version' && received.length >= 12) {
      received = received.subarray(12);
      stage = 'security';
      connection.send(Buffer.from([1, 1]));
    }
    if (stage === 'security' && received.length >= 1) {
      received = received.subarray(1);
      stage = 'init';
      connection.send(Buffer.from([0, 0, 0, 0]));
    }
    if (stage === 'init' && received.length >= 1) {
      received = received.subarray(1);
      stage = 'running';
      const init = Buffer.alloc(24 + name.length);
      init.writeUInt16BE(640, 0);
      init.writeUInt16BE(480, 2);
      Buffer.from([32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]).copy(init, 4);
      init.writeUInt32BE(name.length, 20);
      init.write(name, 24);
      connection.send(init);
    }
  });
}

/** The RFB KeyEvent messages (type 4) in what the client sent: [down, keysym]. */
function keyEvents(messages: Buffer[]): [boolean, number][] {
  const bytes = Buffer.concat(messages);
  const found: [boolean, number][] = [];
  for (let at = 0; at + 8 <= bytes.length; at++) {
    if (bytes[at] === 4 && bytes[at + 1] <= 1 && bytes[at + 2] === 0 && bytes[at + 3] === 0 && bytes.readUInt32BE(at + 4) >= 0xff00) {
      found.push([bytes[at + 1] === 1, bytes.readUInt32BE(at + 4)]);
      at += 7;
    }
  }
  return found;
}

test('the graphical console connects noVNC with a ticket, scales and sends keys from its menu', async ({ page }) => {
  const paths: string[] = [];
  const clientMessages: Buffer[] = [];
  const gateway = await startWebSocketServer((connection) => {
    paths.push(connection.path);
    // The control socket (who types) stays silent here: the portal works on without presence.
    if (!connection.path.endsWith('/control')) simulateVncServer(connection, 'vnc-demo', clientMessages);
  });
  try {
    await signIn(page, 'bob');
    const now = new Date().toISOString();
    await page.route(`**/api/v1/instances/${INSTANCE}`, (route) => route.fulfill({
      json: {
        id: INSTANCE, name: 'vnc-demo', tenant: 'acme', kind: 'vm', type: 'v1.nano', image: 'debian/12',
        vcpus: 1, memoryMiB: 256, diskGiB: 2, desiredState: 'running', state: 'running', createdAt: now, updatedAt: now,
      },
    }));
    const requested: unknown[] = [];
    await page.route(`**/api/v1/instances/${INSTANCE}/console`, async (route) => {
      requested.push(route.request().postDataJSON());
      await route.fulfill({ json: { ticket: 'v1', url: `${gateway.url}/ws/console/v1`, expiresAt: now } });
    });

    await page.goto(`/#/instances/${INSTANCE}?tab=vnc`);
    await expect(page.getByTestId('console-status')).toHaveText('Connected');
    expect(requested).toEqual([{ type: 'vnc' }]);
    await expect.poll(() => paths).toEqual(['/ws/console/v1', '/ws/console/v1/control']);
    await expect(page.getByTestId('console-vnc').locator('canvas')).toBeVisible();
    await screenshot(page, 'console-vnc');

    // The key menu sends what the browser keeps for itself: Ctrl+Alt+Del as presses and releases.
    await page.getByTestId('vnc-keys').locator('summary').click();
    await page.getByRole('menuitem', { name: 'Ctrl+Alt+Del' }).click();
    await expect.poll(() => keyEvents(clientMessages)).toEqual([
      [true, 0xffe3], [true, 0xffe9], [true, 0xffff], [false, 0xffff], [false, 0xffe9], [false, 0xffe3],
    ]);
    await expect(page.getByRole('menuitem', { name: 'Ctrl+Alt+Del' }), 'the menu closes after a key').toBeHidden();

    // Scaling: fit to the window (the canvas no larger than the screen) or the actual 640×480.
    const canvas = page.getByTestId('console-vnc').locator('canvas');
    await page.setViewportSize({ width: 900, height: 600 });
    await expect.poll(async () => (await canvas.boundingBox())!.width).toBeLessThan(640);
    await page.getByTestId('vnc-scaling').selectOption('actual');
    await expect.poll(async () => Math.round((await canvas.boundingBox())!.width)).toBe(640);
    await page.getByTestId('vnc-scaling').selectOption('fit');
    await expect.poll(async () => (await canvas.boundingBox())!.width).toBeLessThan(640);
  } finally {
    await gateway.stop();
  }
});

/** A simulated running jail and its serial console: each ticket's socket is handed to `onSocket`. */
async function simulateSerialConsole(page: import('@playwright/test').Page, options: {
  readOnly?: boolean;
  state?: () => string;
  onSocket: (socket: WebSocketRoute, ticket: number) => void;
}): Promise<{ tickets: () => number }> {
  const now = new Date().toISOString();
  await page.route(`**/api/v1/instances/${INSTANCE}`, (route) => route.fulfill({
    json: {
      id: INSTANCE, name: 'console-demo', tenant: 'acme', kind: 'jail', type: 'j1.nano', image: 'busybox',
      vcpus: 1, memoryMiB: 64, diskGiB: 1, desiredState: 'running', state: options.state?.() ?? 'running', address: '10.90.0.9',
      createdAt: now, updatedAt: now,
    },
  }));
  let tickets = 0;
  await page.route(`**/api/v1/instances/${INSTANCE}/console`, async (route) => {
    if ((options.state?.() ?? 'running') !== 'running') {
      await route.fulfill({ status: 409, json: { error: 'console_unavailable', message: 'the instance is not running' } });
      return;
    }
    tickets++;
    await route.fulfill({ json: { ticket: `t${tickets}`, url: `/ws/console/t${tickets}`, expiresAt: now, type: 'serial', readOnly: options.readOnly ?? false } });
  });
  await page.routeWebSocket(/\/ws\/console\/t\d+$/, (socket) => options.onSocket(socket, Number(socket.url().split('/t').pop())));
  return { tickets: () => tickets };
}

/** Per cell of one terminal row, how many pixels are lit (brighter than the background). */
async function litPixelsPerCell(page: import('@playwright/test').Page, row: number, cells: number): Promise<number[]> {
  const rowElement = page.locator('.xterm-rows > div').nth(row);
  const box = (await rowElement.boundingBox())!;
  const screenWidth = (await page.locator('.xterm-screen').boundingBox())!.width;
  const columns = await page.evaluate(() => {
    const measure = document.querySelector<HTMLElement>('.xterm-char-measure-element');
    return measure ? measure.getBoundingClientRect().width / (measure.textContent?.length || 1) : 0;
  });
  const cellWidth = columns || screenWidth / 80;
  // The row as the screen shows it, read back pixel by pixel.
  const png = await page.screenshot({ clip: { x: box.x, y: box.y, width: cellWidth * cells, height: box.height } });
  const { width, height, rgba } = decodePng(png);
  const scale = width / (cellWidth * cells);
  const lit = new Array<number>(cells).fill(0);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 4;
      if (rgba[at] + rgba[at + 1] + rgba[at + 2] > 3 * 100) lit[Math.min(cells - 1, Math.floor(x / scale / cellWidth))]++;
    }
  }
  return lit;
}

test.describe('at device scale factor 1', () => {
  test.use({ deviceScaleFactor: 1, viewport: { width: 1280, height: 800 } });

  test('the serial console draws underscores: "a_b" is not "a b"', async ({ page }) => {
    await signIn(page, 'bob');
    await simulateSerialConsole(page, {
      onSocket: (socket) => socket.send(Buffer.from('a_b\r\na b\r\nx86_64\r\n')),
    });
    await page.goto(`/#/instances/${INSTANCE}?tab=serial`);
    await expect(page.getByTestId('console-status')).toHaveText('Connected');
    await expect(page.locator('.xterm-rows')).toContainText('x86_64');
    const underscored = await litPixelsPerCell(page, 0, 3);
    const spaced = await litPixelsPerCell(page, 1, 3);
    console.log(`lit pixels per cell: "a_b" ${JSON.stringify(underscored)}, "a b" ${JSON.stringify(spaced)}`);
    expect(spaced[1], 'a space draws nothing').toBe(0);
    expect(underscored[1], 'the underscore between a and b is drawn').toBeGreaterThanOrEqual(3);
    expect(underscored[0]).toBeGreaterThan(0);
    // At the other font sizes the console offers too.
    for (const [button, size] of [['Smaller text', '12 px'], ['Larger text', '14 px'], ['Larger text', '16 px'], ['Larger text', '18 px']]) {
      await page.getByRole('button', { name: button }).click();
      await expect(page.getByTestId('console-font-size')).toHaveText(size);
      const lit = await litPixelsPerCell(page, 0, 3);
      expect(lit[1], `the underscore at ${size}`).toBeGreaterThanOrEqual(3);
    }
  });
});

test('the serial console reconnects by itself when its instance runs again, and shows no presence while closed', async ({ page }) => {
  await signIn(page, 'bob');
  let state = 'running';
  const sockets: WebSocketRoute[] = [];
  const simulated = await simulateSerialConsole(page, {
    state: () => state,
    onSocket: (socket, ticket) => {
      sockets.push(socket);
      socket.send(Buffer.from(`boot ${ticket}\r\n/ # `));
      socket.send(JSON.stringify({ type: 'writer', writer: 'bob', you: 'writer', viewers: 1 }));
      socket.onMessage((message) => { if (message === JSON.stringify({ type: 'ping' })) socket.send(JSON.stringify({ type: 'pong' })); });
    },
  });
  await page.goto(`/#/instances/${INSTANCE}?tab=serial`);
  const status = page.getByTestId('console-status');
  const role = page.getByTestId('console-role');
  await expect(status).toHaveText('Connected');
  await expect(role).toHaveText('You type');

  // The instance stops: the gateway ends the console with 4503.
  state = 'stopped';
  await sockets[0].close({ code: 4503, reason: "the instance's console ended" });
  await expect(status).toContainText('Closed');
  await expect(status).toContainText('reconnecting when it runs again');
  await expect(role, 'a closed console says nobody types').toHaveText('');
  await page.waitForTimeout(3000);
  expect(simulated.tickets(), 'no ticket while the instance is stopped').toBe(1);

  // It runs again (a start, or the restart after a crash): the console comes back by itself.
  state = 'running';
  await expect(status).toHaveText('Connected', { timeout: 15_000 });
  expect(simulated.tickets()).toBe(2);
  await expect(page.locator('.xterm-rows')).toContainText('boot 2');
  await expect(role).toHaveText('You type');
});

test('the serial console follows who joins and leaves, and never offers a viewer "Take over"', async ({ page }) => {
  await signIn(page, 'bob');
  let gateway: WebSocketRoute | null = null;
  await simulateSerialConsole(page, {
    readOnly: true,
    onSocket: (socket) => {
      gateway = socket;
      socket.send(JSON.stringify({ type: 'writer', writer: 'alice', you: 'reader', viewers: 2 }));
    },
  });
  await page.goto(`/#/instances/${INSTANCE}?tab=serial`);
  const role = page.getByTestId('console-role');
  await expect(role).toHaveText('Watching (your role cannot type) · alice types · 2 viewers');
  await expect(page.getByTestId('take-over')).toBeHidden();
  await expect(page.getByRole('button', { name: 'Paste' })).toBeHidden();
  // Someone joins, then the writer leaves: the line follows each frame.
  gateway!.send(JSON.stringify({ type: 'writer', writer: 'alice', you: 'reader', viewers: 3 }));
  await expect(role).toHaveText('Watching (your role cannot type) · alice types · 3 viewers');
  gateway!.send(JSON.stringify({ type: 'writer', writer: null, you: 'reader', viewers: 2 }));
  await expect(role).toHaveText('Watching (your role cannot type) · nobody types · 2 viewers');
  await expect(page.getByTestId('take-over')).toBeHidden();
});

test('the serial console: full screen, copy and paste through the clipboard, font size', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await signIn(page, 'bob');
  const typed: string[] = [];
  await simulateSerialConsole(page, {
    onSocket: (socket) => {
      socket.send(Buffer.from('copy-me-please\r\n/ # '));
      socket.send(JSON.stringify({ type: 'writer', writer: 'bob', you: 'writer', viewers: 2 }));
      socket.onMessage((message) => { if (typeof message !== 'string') typed.push(message.toString('utf8')); });
    },
  });
  await page.goto(`/#/instances/${INSTANCE}?tab=serial`);
  await expect(page.getByTestId('console-status')).toHaveText('Connected');
  await expect(page.getByTestId('console-role')).toHaveText('You type · 2 viewers');
  await expect(page.getByTestId('take-over')).toBeHidden();

  await page.evaluate(() => navigator.clipboard.writeText('echo pasted'));
  await page.getByRole('button', { name: 'Paste' }).click();
  await expect.poll(() => typed.join('')).toContain('echo pasted');

  // Select the first row with a double click on the word, then Copy.
  const firstRow = (await page.locator('.xterm-rows > div').first().boundingBox())!;
  await page.mouse.dblclick(firstRow.x + 20, firstRow.y + firstRow.height / 2);
  await page.getByRole('button', { name: 'Copy' }).click();
  await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toContain('copy');

  const size = page.getByTestId('console-font-size');
  await page.getByRole('button', { name: 'Larger text' }).click();
  await expect(size).toHaveText('16 px');
  const rowHeight16 = (await page.locator('.xterm-rows > div').first().boundingBox())!.height;
  await page.getByRole('button', { name: 'Smaller text' }).click();
  await page.getByRole('button', { name: 'Smaller text' }).click();
  await expect(size).toHaveText('12 px');
  expect((await page.locator('.xterm-rows > div').first().boundingBox())!.height).toBeLessThan(rowHeight16);
  // The size is remembered.
  await page.reload();
  await expect(page.getByTestId('console-font-size')).toHaveText('12 px');

  await page.getByTestId('console-fullscreen').click();
  await expect.poll(() => page.evaluate(() => document.fullscreenElement?.className)).toContain('console-frame');
  await expect(page.getByTestId('console-fullscreen')).toHaveText('Exit full screen');
  await page.getByTestId('console-fullscreen').click();
  await expect.poll(() => page.evaluate(() => document.fullscreenElement)).toBeNull();
});

test('the graphical console shows who types on its control socket, takes over, and is told when taken over', async ({ page }) => {
  const paths: string[] = [];
  const clientMessages: Buffer[] = [];
  const controlFrames: unknown[] = [];
  let control: TestConnection | null = null;
  const gateway = await startWebSocketServer((connection) => {
    paths.push(connection.path);
    if (connection.path.endsWith('/control')) {
      control = connection;
      connection.onMessage((data) => controlFrames.push(JSON.parse(data.toString('utf8'))));
      // Joined while alice types: this viewer watches.
      connection.sendText(JSON.stringify({ type: 'writer', writer: 'alice', you: 'reader', viewers: 2, dropped: 0 }));
    } else {
      simulateVncServer(connection, 'vnc-shared', clientMessages);
    }
  });
  try {
    await signIn(page, 'bob');
    const now = new Date().toISOString();
    await page.route(`**/api/v1/instances/${INSTANCE}`, (route) => route.fulfill({
      json: {
        id: INSTANCE, name: 'vnc-shared', tenant: 'acme', kind: 'vm', type: 'v1.nano', image: 'debian/12',
        vcpus: 1, memoryMiB: 256, diskGiB: 2, desiredState: 'running', state: 'running', createdAt: now, updatedAt: now,
      },
    }));
    await page.route(`**/api/v1/instances/${INSTANCE}/console`, (route) => route.fulfill({
      json: { ticket: 'v7', url: `${gateway.url}/ws/console/vnc/v7`, expiresAt: now, type: 'vnc', readOnly: false },
    }));

    await page.goto(`/#/instances/${INSTANCE}?tab=vnc`);
    await expect(page.getByTestId('console-status')).toHaveText('Connected');
    const role = page.getByTestId('console-role');
    await expect(role).toHaveText('Watching · alice types · 2 viewers');
    expect(paths).toEqual(['/ws/console/vnc/v7', '/ws/console/vnc/v7/control']);
    const takeOver = page.getByTestId('take-over');
    await expect(takeOver).toBeVisible();
    await expect(page.getByTestId('vnc-keys'), 'no key menu while watching').toBeHidden();
    await screenshot(page, 'console-vnc-watching');

    // Take over: the portal asks on the control socket; the gateway answers that bob types.
    await takeOver.click();
    await expect.poll(() => controlFrames).toEqual([{ type: 'takeover' }]);
    control!.sendText(JSON.stringify({ type: 'writer', writer: 'bob', you: 'writer', viewers: 2, dropped: 0 }));
    await expect(role).toHaveText('You type · 2 viewers');
    await expect(takeOver).toBeHidden();
    await expect(page.getByTestId('vnc-keys')).toBeVisible();
    await page.getByTestId('vnc-keys').locator('summary').click();
    await page.getByRole('menuitem', { name: 'Esc' }).click();
    await expect.poll(() => keyEvents(clientMessages)).toEqual([[true, 0xff1b], [false, 0xff1b]]);

    // alice takes it back: the portal says so and offers to take over again.
    control!.sendText(JSON.stringify({ type: 'taken-over', by: 'alice' }));
    control!.sendText(JSON.stringify({ type: 'writer', writer: 'alice', you: 'reader', viewers: 2, dropped: 0 }));
    await expect(page.getByTestId('taken-over')).toHaveText('alice took over the console; you are watching. Take over to type again.');
    await expect(role).toHaveText('Watching · alice types · 2 viewers');
    await expect(takeOver).toBeVisible();
    await screenshot(page, 'console-vnc-taken-over');
  } finally {
    await gateway.stop();
  }
});

test('a real console session\'s close reads in words on the audit pages, not as a close number', async ({ page, browser }) => {
  await signIn(page, 'alice');
  const name = uniqueName('e2e-close');
  const created = await api(page, 'POST', '/instances', { name, kind: 'jail', image: 'busybox', type: 'j1.nano', start: true });
  if (created.status() !== 202 && ((await created.json()) as { error?: string }).error === 'no_host_for_kind') skipLoudly('no host of this server runs jails');
  expect(created.status(), await created.text()).toBe(202);
  const id = ((await created.json()) as { target: string }).target;
  try {
    await waitForInstance(page, id, 'running');
    // One session closed by leaving the tab, one by closing the browser's page.
    await page.goto(`/#/instances/${id}?tab=serial`);
    await expect(page.getByTestId('console-status')).toHaveText('Connected', { timeout: 30_000 });
    await page.getByRole('tab', { name: 'Overview' }).click();
    const other = await (await browser.newContext()).newPage();
    await signIn(other, 'alice');
    await other.goto(`/#/instances/${id}?tab=serial`);
    await expect(other.getByTestId('console-status')).toHaveText('Connected', { timeout: 30_000 });
    await other.close();
    await other.context().close();

    type Session = { instance: string; endedAt?: string; closeReason?: string };
    await expect.poll(async () => {
      const sessions = ((await (await api(page, 'GET', `/console-sessions?instance=${id}`)).json()) as { items: Session[] }).items;
      return sessions.filter((session) => session.endedAt && session.closeReason).length;
    }, { timeout: 30_000, message: 'both sessions ended with a reason' }).toBe(2);
    const reasons = ((await (await api(page, 'GET', `/console-sessions?instance=${id}`)).json()) as { items: Session[] }).items.map((session) => session.closeReason!);
    console.log(`close reasons as stored: ${JSON.stringify(reasons)}`);

    const inWords = (text: string) => {
      expect(text, 'no bare close number').not.toMatch(/^\s*\d{4}\b/);
      expect(text).toMatch(/[a-z]{4,} [a-z]{3,}/);
    };
    // The activity page's console sessions (the tenant admin's audit).
    await page.goto('/#/activity');
    const sessions = page.getByRole('region', { name: 'Console sessions' });
    const ours = sessions.locator('tbody tr').filter({ has: page.getByRole('link', { name }) });
    await expect(ours).toHaveCount(2);
    const ended = await ours.locator('td[data-label="Ended"]').allInnerTexts();
    console.log(`close reasons as shown: ${JSON.stringify(ended)}`);
    ended.forEach(inWords);
    expect(ended.some((text) => text.startsWith('closed normally')), 'leaving the tab closes normally').toBe(true);
    // The instance's own activity tab says the same.
    await page.goto(`/#/instances/${id}?tab=activity`);
    const onInstance = page.locator('main table').filter({ has: page.locator('caption', { hasText: 'Console sessions' }) });
    await expect(onInstance.locator('tbody tr')).toHaveCount(2);
    const endedHere = await onInstance.locator('td[data-label="Ended"]').allInnerTexts();
    expect(endedHere.sort()).toEqual([...ended].sort());
  } finally {
    await api(page, 'DELETE', `/instances/${id}`);
  }
});
