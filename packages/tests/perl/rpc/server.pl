#!/usr/bin/perl
# The real Event::RPC::Server exporting the contract classes of TestClasses.pm.
#
#   perl server.pl --port P [--formats CBOR,JSON] [--max-packet-size N]
#                  [--lifetime SECONDS] [--ignore-stdin] [--log-level L]
#                  [--ssl-key FILE --ssl-cert FILE [--ssl-passwd PASS]]
#                  [--auth USER:CRYPT_TOKEN ...]
#
# Binds 127.0.0.1:P only. --port 0 lets the kernel pick a port. Prints
# "READY <port>" on stdout once it listens. Stops when stdin reaches EOF
# (unless --ignore-stdin) or after --lifetime seconds (default 120).
use strict;
use warnings;
use utf8;
use FindBin;
use lib $FindBin::Bin;
use Getopt::Long qw(GetOptions);
use AnyEvent;
use Event::RPC::Server;
use Event::RPC::Message;
use Event::RPC::Loop::AnyEvent;
use TestClasses;

$| = 1;
binmode STDOUT;

my %opt = (
    port     => undef,
    formats  => 'CBOR,JSON',
    lifetime => 120,
);
GetOptions(
    'port=i'            => \$opt{port},
    'formats=s'         => \$opt{formats},
    'max-packet-size=i' => \$opt{max_packet_size},
    'lifetime=f'        => \$opt{lifetime},
    'ignore-stdin'      => \$opt{ignore_stdin},
    'log-level=i'       => \$opt{log_level},
    'ssl-key=s'         => \$opt{ssl_key},
    'ssl-cert=s'        => \$opt{ssl_cert},
    'ssl-passwd=s'      => \$opt{ssl_passwd},
    'auth=s@'           => \$opt{auth},
) or die "usage: $0 --port P [--formats CBOR,JSON] [--max-packet-size N] [--lifetime S] [--ignore-stdin] [--log-level L] [--ssl-key F --ssl-cert F [--ssl-passwd P]] [--auth USER:TOKEN]\n";
die "$0: --port is required\n" unless defined $opt{port};

my @formats = grep { length } map { uc } split /\s*,\s*/, $opt{formats};
die "$0: --formats is empty\n" unless @formats;

Event::RPC::Message->set_max_packet_size( $opt{max_packet_size} )
    if $opt{max_packet_size};

my $logger;
if ( $opt{log_level} ) {
    require Event::RPC::Logger;
    $logger = Event::RPC::Logger->new( min_level => $opt{log_level}, fh_lref => [ \*STDERR ] );
}

my $loop   = Event::RPC::Loop::AnyEvent->new;
my $server = Event::RPC::Server->new(
    name                => 'event-rpc interop test server',
    host                => '127.0.0.1',
    port                => $opt{port},
    loop                => $loop,
    logger              => $logger,
    start_log_listener  => 0,
    load_modules        => 0,    # the classes live in TestClasses.pm, not Event_RPC_Test.pm
    auto_reload_modules => 0,
    message_formats     => \@formats,
    insecure_msg_fmt_ok => 0,
    classes             => TestClasses::classes(),
    ( $opt{ssl_key}
        ? ( ssl           => 1,
            ssl_key_file  => $opt{ssl_key},
            ssl_cert_file => $opt{ssl_cert},
            ssl_passwd_cb => sub { $opt{ssl_passwd} } )
        : () ),
    ( $opt{auth}
        ? ( auth_required    => 1,
            auth_passwd_href => { map { split /:/, $_, 2 } @{ $opt{auth} } } )
        : () ),
);

# Listen, filter the formats, then tell the parent where we are.
$server->prepare;
die "$0: none of the formats '$opt{formats}' is available\n"
    unless @{ $server->get_message_formats };
my $port = $server->get_rpc_socket->sockport;
print "READY $port\n";

my @guards;
push @guards, AnyEvent->timer( after => $opt{lifetime}, cb => sub { $server->stop } );
if ( !$opt{ignore_stdin} ) {
    push @guards, AnyEvent->io(
        fh   => \*STDIN,
        poll => 'r',
        cb   => sub {
            my $n = sysread STDIN, my $buffer, 4096;
            return if !defined $n && ( $!{EINTR} || $!{EAGAIN} );
            $server->stop if !$n;    # EOF or error
        },
    );
}
$SIG{TERM} = $SIG{INT} = sub { $server->stop };

# start() calls prepare() again (listeners already up, formats already
# filtered: both are idempotent) and enters the loop until stop().
$server->start;
exit 0;
