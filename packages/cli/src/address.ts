import type { Endpoint, TcpEndpoint } from '@rpc/loop';
import { cliError } from './errors.js';

/**
 * Reads an address as curl, grpcurl and ssh users write them: `HOST:PORT`, `[IPV6]:PORT`, `PORT` or `:PORT`
 * (localhost), and, where `unix` allows it, a Unix socket as `unix:PATH` or any path with a `/` in it
 * (`/run/user/1000/nvim.sock`, `./app.sock`).
 */
export function parseAddress(text: string, options: { readonly unix: false }): TcpEndpoint;
export function parseAddress(text: string, options: { readonly unix: true }): Endpoint;
export function parseAddress(text: string, { unix }: { readonly unix: boolean }): Endpoint {
  const path = text.startsWith('unix:') ? text.slice(5) : text.includes('/') ? text : undefined;
  if (path !== undefined) {
    if (!unix)
      throw cliError(
        'CLI_BAD_ADDRESS',
        `'${text}' is a Unix socket: this command connects over TCP only (write HOST:PORT)`,
      );
    if (path === '') throw cliError('CLI_BAD_ADDRESS', `'${text}' names no socket path`);
    return { path };
  }
  const match = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  if (match === null) {
    const hint = (text.match(/:/g)?.length ?? 0) > 1 ? ' (an IPv6 address goes in brackets: [::1]:PORT)' : '';
    throw cliError('CLI_BAD_ADDRESS', `'${text}' is not HOST:PORT${hint}`);
  }
  const port = Number(match[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw cliError('CLI_BAD_ADDRESS', `'${text}': the port must be from 1 to 65535`);
  const host = match[1] || match[2] || 'localhost';
  return { host, port };
}
