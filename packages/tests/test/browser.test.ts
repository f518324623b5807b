import { readFileSync, statSync } from 'node:fs';
import * as http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WsLoop } from '@rpc/loop-ws';
import { Server, type ServerConnection } from '@rpc/server';
import { chromium } from 'playwright-core';
import { feed } from '../src/capability-classes.js';
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
  it('connects over WebSocket, calls remote objects, passes functions and streams both ways', async () => {
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
      classes: { ...testClasses, Feed: feed },
      loop: new WsLoop({ server: web, path: '/rpc' }),
    });
    // What the server still lends the page (functions, targets, streams) when the page reads after leaving a stream.
    const exportsAtRead: (number | undefined)[] = [];
    server.on('call', (connection: ServerConnection, request) => {
      calls.push(String(request.cmd));
      if (request.cmd === 'exec' && request.method === 'read') exportsAtRead.push(connection.capabilities?.exports);
    });
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
      // The server called the page's function and target back.
      map: ['A!', 'B!'],
      watch: 'the page saw click',
      subscribed: 1,
      published: ['listener got news'],
      inPage: ['map a', 'map b', 'seen click'],
      // A stream from the server, read to the end, and one left after ten values.
      countIsRemoteStream: true,
      countLength: 1000,
      countSum: 499_500,
      countInOrder: true,
      firstTen: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      afterBreak: 'a',
      // A stream from the page, a function from the server, a pipelined chain.
      uploadedSum: 500_500,
      counter: [15, 16],
      pipelinedChain: 'abc',
      ok: true,
    });
    // `call` is the page calling the function makeCounter gave it.
    expect(calls).toEqual(
      expect.arrayContaining(['version', 'class_info_all', 'new', 'exec', 'client_destroy', 'call']),
    );
    // Both streams were done with by then, the one read to its end and the one the page left.
    expect(exportsAtRead).toEqual([0]);
    const shot = join(mkdtempSync(join(tmpdir(), 'rpc-browser-')), 'page.png');
    await page.screenshot({ path: shot });
    expect(statSync(shot).size).toBeGreaterThan(1000);
    process.stderr.write(`browser test screenshot: ${shot}\n`);
  });
});
