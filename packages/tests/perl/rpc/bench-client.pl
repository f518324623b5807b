#!/usr/bin/perl
# Throughput of the real Event::RPC::Client: sequential get_data calls.
#
#   perl bench-client.pl --port P [--seconds S] [--max-packet-size N]
#
# Connects to 127.0.0.1:P (insecure_msg_fmt_ok => 0, the server's first
# offered format), creates one Event_RPC_Test, calls get_data as often as it
# can for S seconds (default 3) and prints one JSON line:
#   {"calls":N,"seconds":elapsed,"callsPerSec":R}
use strict;
use warnings;
use Getopt::Long qw(GetOptions);
use JSON::XS;
use POSIX ();
use Time::HiRes qw(time);
use Event::RPC::Client;

my %opt = ( port => undef, seconds => 3 );
GetOptions(
    'port=i'            => \$opt{port},
    'seconds=f'         => \$opt{seconds},
    'max-packet-size=i' => \$opt{max_packet_size},
) or die "usage: $0 --port P [--seconds S]\n";
die "$0: --port is required\n" unless $opt{port};
die "$0: --seconds must be > 0\n" unless $opt{seconds} > 0;

# Bounded: a server that stops answering ends us too.
$SIG{ALRM} = sub { print STDERR "$0: timed out\n"; POSIX::_exit(2) };
alarm int( $opt{seconds} + 30 );

Event::RPC::Client->set_max_packet_size( $opt{max_packet_size} )
    if $opt{max_packet_size};

my $client = Event::RPC::Client->new(
    host                => '127.0.0.1',
    port                => $opt{port},
    timeout             => 10,
    insecure_msg_fmt_ok => 0,
);
$client->connect;

my $obj = Event_RPC_Test->new( data => 'bench' );
die "$0: unexpected get_data result\n" unless $obj->get_data eq 'bench';

my $calls = 0;
my $start = time;
my $end   = $start + $opt{seconds};
my $now   = $start;
while ( $now < $end ) {
    $obj->get_data;
    $calls++;
    $now = time;
}
my $elapsed = $now - $start;

undef $obj;
$client->disconnect;
alarm 0;

print JSON::XS->new->canonical->encode( {
    calls       => $calls,
    seconds     => 0 + sprintf( '%.3f', $elapsed ),
    callsPerSec => 0 + sprintf( '%.1f', $calls / $elapsed ),
} ), "\n";
exit 0;
