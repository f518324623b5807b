import type { Codec } from './codec.js';
import { codecError } from './errors.js';
import { decodeNegotiation, encodeNegotiation } from './negotiation-message.js';
import type { CodecRegistry } from './registry.js';

/**
 * The formats Event::RPC 1.10 knows, in its own order. A Perl client dies on any other name met before one it can load.
 */
export const PERL_FORMATS: readonly string[] = ['SERL', 'CBOR', 'JSON', 'STOR'];
/** The format an old client that does not negotiate is assumed to speak. */
export const FALLBACK_FORMAT = 'STOR';

/** What one side of the negotiation may agree on. */
export interface NegotiationOptions {
  /** The codecs this side speaks, in its order of preference. */
  readonly formats: CodecRegistry;
  /** Allow Storable-style formats (Codec.insecure), and the old-client fallback to STOR (default false). */
  readonly insecureFormatsOk?: boolean;
}

/** What a negotiation step produced: bytes to send back, and once agreed, the codec for the rest of the connection. */
export interface NegotiationStep {
  /** The message to send back, in negotiation encoding. */
  readonly reply?: Uint8Array;
  /** The format agreed: every later message of the connection uses it. */
  readonly codec?: Codec;
  /** Server: the first request of an old client, decoded with the fallback codec. */
  readonly request?: unknown;
  /** Why this step failed (a NEG_* code); on the server, `reply` tells the client. */
  readonly error?: Error;
}

/**
 * The server side, one per connection: answers `neg_formats_avail` with the
 * offer and switches on `neg_format_set`. The offer is the server's
 * preference order with the names Perl knows first, so that a Perl client
 * never meets a name it does not know before one it can use, and insecure
 * formats (when allowed at all) after the secure ones.
 */
export class ServerNegotiation {
  /** The wire names offered, in the order sent. */
  readonly offer: readonly string[];
  readonly #options: NegotiationOptions;

  constructor(options: NegotiationOptions) {
    this.#options = options;
    // Secure before insecure within each group, since a Perl client takes the first it can load.
    const usable = options.formats.usable(options.insecureFormatsOk ?? false);
    const ranked = [...usable.filter((c) => !c.insecure), ...usable.filter((c) => c.insecure)].map((c) => c.name);
    this.offer = [
      ...ranked.filter((n) => PERL_FORMATS.includes(n)),
      ...ranked.filter((n) => !PERL_FORMATS.includes(n)),
    ];
  }

  /** Handles one message received before a format is agreed. */
  receive(bytes: Uint8Array): NegotiationStep {
    const message = decodeNegotiation(bytes);
    if (message === undefined) return this.#oldClient(bytes);
    switch (message.cmd) {
      case 'neg_formats_avail':
        return { reply: encodeNegotiation({ ok: '1', msg: this.offer.join(',') }) };
      case 'neg_format_set': {
        const codec = this.offer.includes(message.msg) ? this.#options.formats.get(message.msg) : undefined;
        if (codec === undefined) {
          const text = `Server rejected format '${message.msg}'`;
          return { reply: encodeNegotiation({ msg: text }), error: codecError('NEG_REJECTED', text) };
        }
        return { reply: encodeNegotiation({ ok: '1' }), codec };
      }
      default: {
        const text = `format negotiation expected, got command '${message.cmd}'`;
        return { reply: encodeNegotiation({ msg: text }), error: codecError('NEG_UNEXPECTED', text) };
      }
    }
  }

  // A client that does not negotiate speaks Storable (Event::RPC before 1.0): only with insecure formats allowed.
  #oldClient(bytes: Uint8Array): NegotiationStep {
    const fallback = this.#options.insecureFormatsOk ? this.#options.formats.get(FALLBACK_FORMAT) : undefined;
    if (fallback !== undefined) return { codec: fallback, request: fallback.decode(bytes) };
    const text = this.#options.insecureFormatsOk
      ? `client did not negotiate a message format and no ${FALLBACK_FORMAT} codec is installed`
      : 'client did not negotiate a message format and the insecure Storable fallback is not allowed';
    return { reply: encodeNegotiation({ msg: text }), error: codecError('NEG_NOT_NEGOTIATING', text) };
  }
}

/**
 * The client side: asks for the offer, picks by its own preference from
 * anywhere in it (unknown names are skipped, not fatal), and confirms.
 */
export class ClientNegotiation {
  readonly #options: NegotiationOptions;
  #chosen: Codec | undefined;

  constructor(options: NegotiationOptions) {
    this.#options = options;
  }

  /** The first message to send. */
  start(): Uint8Array {
    return encodeNegotiation({ cmd: 'neg_formats_avail' });
  }

  /** Handles the server's answer to the last message sent. */
  receive(bytes: Uint8Array): NegotiationStep {
    const message = decodeNegotiation(bytes);
    if (this.#chosen !== undefined) {
      if (message?.ok === '1') return { codec: this.#chosen };
      return { error: codecError('NEG_REJECTED', message?.msg || `server refused format ${this.#chosen.name}`) };
    }
    if (message === undefined || message.ok !== '1') return this.#noNegotiation(message?.msg);
    const offer = message.msg.split(',');
    const usable = this.#options.formats.usable(this.#options.insecureFormatsOk ?? false);
    this.#chosen = usable.find((codec) => offer.includes(codec.name));
    if (this.#chosen === undefined) {
      return {
        error: codecError(
          'NEG_NO_COMMON_FORMAT',
          `no common message format: the server offers ${message.msg || 'nothing'}, ` +
            `this client speaks ${usable.map((c) => c.name).join(',') || 'nothing'}`,
        ),
      };
    }
    return { reply: encodeNegotiation({ cmd: 'neg_format_set', msg: this.#chosen.name }) };
  }

  // A server that does not negotiate is an old one: Storable, if allowed and available.
  #noNegotiation(serverText: string | undefined): NegotiationStep {
    const fallback = this.#options.insecureFormatsOk ? this.#options.formats.get(FALLBACK_FORMAT) : undefined;
    if (fallback !== undefined) return { codec: fallback };
    return {
      error: codecError(
        'NEG_NOT_NEGOTIATING',
        `server did not negotiate a message format${serverText ? ` (${serverText})` : ''} ` +
          `and the Storable fallback is ${this.#options.insecureFormatsOk ? 'not installed' : 'not allowed'}`,
      ),
    };
  }
}
