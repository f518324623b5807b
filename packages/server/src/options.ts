import type { ClassSpec } from '@rpc/core';
import type { Codec } from '@rpc/codec';
import type { Loop } from '@rpc/loop';
import type { Logger } from './logger.js';
import type { ServerConnection } from './server-connection.js';

/** Event::RPC::Server's options, camelCased. All may be read and set as properties until start(). */
export interface ServerSettings {
  /** TCP port (0 picks a free one; `port` then reports it once listening). */
  port: number;
  /** Interface to bind; all interfaces when undefined. */
  host: string | undefined;
  /** The exported classes: the whole surface clients can reach. A class may be given as `{ module, export }` to import it when first used. */
  classes: Readonly<Record<string, ClassSpec>>;
  name: string;
  /** Where log lines go (default: a ConsoleLogger at level 2, on stderr). */
  logger: Logger | undefined;
  /** Stream log lines to every client connected on port + 1. */
  startLogListener: boolean;
  connectionHook: ((connection: ServerConnection, event: 'connect' | 'disconnect') => void) | undefined;
  /** Formats offered, in order of preference (default MSGP, CBOR, JSON; offered as CBOR,JSON,MSGP so Perl clients get CBOR). */
  messageFormats: readonly Codec[];
  insecureFormatsOk: boolean;
  /** Largest message either way (default 2 GiB, as Event::RPC); clients must use the same. */
  maxPacketSize: number;
  /** Import classes given as modules when a client first uses them (default true); with false they are imported at start. */
  loadModules: boolean;
  /** Import a module class again on the next call once its file changed on disk, moving live objects to the new code. For development. */
  autoReloadModules: boolean;
  loop: Loop | undefined;
}

export type ServerOptions = Partial<ServerSettings> & Pick<ServerSettings, 'classes'>;
