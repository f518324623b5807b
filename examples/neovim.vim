" Sourced by neovim.ts: `nvim --headless --clean -S neovim.vim`, with the service's address in $RPC_ADDRESS.
let s:chan = sockconnect('tcp', $RPC_ADDRESS, {'rpc': v:true})
let s:sum = rpcrequest(s:chan, 'sum', 2, 3)
let s:loud = rpcrequest(s:chan, 'shout', 'hello')
call rpcnotify(s:chan, 'log', 'from neovim: ' . s:sum . ' ' . s:loud)
" Answered after the notification above, which the service has then seen.
call rpcrequest(s:chan, 'done')
qall!
