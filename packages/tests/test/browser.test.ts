import { readFileSync, statSync } from 'node:fs';
import * as http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WsLoop } from '@rpc/loop-ws';
import { Server, type ServerConnection } from '@rpc/server';
import { chromium } from 'playwright-core';
import { testClasses } from '../src/test-classes.js';
import { quiet } from './rpc-helpers.js';
import { asyncDisposer } from '@rpc/testkit';

// A real browser (Debian's chromium, driven by playwright-core) loads a page from 127.0.0.1 whose
// script, the browser bundle of @rpc/client, talks to our Node server over WebSocket.
const fixtures = join(__dirname, '..', 'fixtures', 'browser');
const bundle = join(__dirname, '..', '..', 'client', 'dist', 'browser', 'rpc-client.js');
const files: Record<string, [string, string]> = {
  '/': [join(fixtures, 'index.html'), 'text/html; charset=utf-8'],
  '/app.js': [join(fixtures, 'app.js'), 'text/javascript'],
  '/rpc-client.js': [bundle, 'text/javascript'],
};

describe('the browser bundle of @rpc/client in Chromium', () => {
  it('connects over WebSocket, creates a remote object, calls it and releases it', async () => {
    // One http.Server serves the page and, under /rpc, the WebSocket endpoint of the RPC server.
    const web = http.createServer((req, res) => {
      const file = files[req.url ?? ''];
      if (file === undefined) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': file[1] }).end(readFileSync(file[0]));
    });
    await using _web = asyncDisposer(async () => {
      web.closeAllConnections();
      await new Promise((resolve) => web.close(resolve));
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    const { port } = web.address() as { port: number };
    const calls: string[] = [];
    await using server = new Server({
      port,
      logger: quiet,
      classes: testClasses,
      loop: new WsLoop({ server: web, path: '/rpc' }),
    });
    server.on('call', (_connection: ServerConnection, request) => calls.push(String(request.cmd)));
    await server.setupListeners();

    await using browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(
      () => (globalThis as unknown as { rpcResults?: unknown }).rpcResults !== undefined,
      undefined,
      { timeout: 20_000 },
    );
    const results = await page.evaluate(() => (globalThis as unknown as { rpcResults: unknown }).rpcResults);
    expect(problems).toEqual([]);
    expect(results).toEqual({
      format: 'MSGP',
      pipelined: true,
      oidClass: 'Event_RPC_Test',
      data: 'from the browser',
      echo: ['你好', 42, [1, { a: null }]],
      parallel: ['Hello, from the browser', 'from the browser', 'changed'],
      afterRelease: 'RPC_RELEASED',
      ok: true,
    });
    expect(calls).toEqual(expect.arrayContaining(['version', 'class_info_all', 'new', 'exec', 'client_destroy']));
    const shot = join(mkdtempSync(join(tmpdir(), 'rpc-browser-')), 'page.png');
    await page.screenshot({ path: shot });
    expect(statSync(shot).size).toBeGreaterThan(1000);
    process.stderr.write(`browser test screenshot: ${shot}\n`);
  });
});
