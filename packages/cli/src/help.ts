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
