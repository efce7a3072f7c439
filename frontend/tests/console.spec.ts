import { expect, test, type WebSocketRoute } from '@playwright/test';
import { screenshot, signIn } from './helpers';
import { startWebSocketServer, type TestConnection } from './support/websocketServer';

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
function simulateVncServer(connection: TestConnection, name: string): void {
  let received = Buffer.alloc(0);
  let stage: 'version' | 'security' | 'init' | 'running' = 'version';
  connection.send(Buffer.from('RFB 003.008\n'));
  connection.onMessage((message) => {
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

test('the graphical console connects noVNC with a ticket', async ({ page }) => {
  const paths: string[] = [];
  const gateway = await startWebSocketServer((connection) => {
    paths.push(connection.path);
    simulateVncServer(connection, 'vnc-demo');
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
    expect(paths).toEqual(['/ws/console/v1']);
    await expect(page.getByTestId('console-vnc').locator('canvas')).toBeVisible();
    await screenshot(page, 'console-vnc');
  } finally {
    await gateway.stop();
  }
});
