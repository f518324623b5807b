/** `rpc --help`. */
export const MAIN_HELP = `Usage: rpc COMMAND [OPTIONS] ...

The command-line client of @rpc, for Event::RPC servers (an @rpc/server or
Perl's Event::RPC::Server) and MessagePack-RPC servers (neovim, AnyEvent::MPRPC).

Commands:
  classes HOST:PORT [CLASS...]          list the classes and methods a server exports
  call HOST:PORT CLASS.METHOD [ARG...]  call a method; print its result as JSON
  call --object HOST:PORT CLASS         several calls on one object (--call, stdin)
  mprpc ADDRESS METHOD [ARG...]         call a MessagePack-RPC method
  notify ADDRESS METHOD [ARG...]        send a MessagePack-RPC notification
  log HOST:PORT                         print a server's log listener's lines
  help [COMMAND]                        this help, or a command's

ARGs are JSON, one value each: 42, true, null, '"text"', '[1,2]', '{"a":1}'.
Results go to stdout as JSON (--json: one line each), errors to stderr as
'error CODE: message'.

Exit status: 0 done, 1 the call failed (an error from the server, --timeout),
2 usage (options, arguments, unknown class or method), 3 connection (refused,
TLS, lost, protocol), 4 login refused, 130 interrupted.

Run 'rpc COMMAND --help' for a command's options.
`;

/** The help lines of the TLS options, which every command takes. */
export const TLS_HELP = `  --tls                  connect over TLS (verified against the system's CAs)
  --ca FILE              trust the CA certificates in FILE (implies --tls)
  --ca-path DIR          trust the CA certificates in DIR (implies --tls)
  -k, --insecure         TLS without verifying the server (implies --tls)
`;

/** The help lines of the login options. */
export const LOGIN_HELP = `  -u, --user USER        log in as USER; the password comes from --password,
                         RPC_PASSWORD, a prompt on a terminal, or stdin's first line
  --password PASSWORD    the password (visible to other users in ps: prefer a prompt)
`;

/** The help line of --format. */
export const FORMAT_HELP = `  -f, --format LIST      the message formats to use, by preference: MSGP, CBOR,
                         SERL, JSON (default: all four in that order; the
                         first the server speaks too is used)
`;

/** The help lines of --verbose and --help. */
export const VERBOSE_HELP = `  -v, --verbose          say on stderr where it connected (and how)
  -h, --help             this help
`;
