#!/usr/bin/perl
# The real Event::RPC::Client connecting with TLS and/or a login, then making
# one object and one call. Prints one JSON line: {"data":...,"format":...} on
# success, {"error":"..."} when connecting or calling failed.
#
#   perl secure-client.pl --port P [--ssl [--ca-file F] [--verify]]
#                         [--auth-user U --auth-pass CRYPT_TOKEN]
#
# --ca-file makes the client verify the server (chain and host name), as
# Event::RPC does; --verify asks for verification without a CA file (the
# system's CAs). Without either there is no verification, Event::RPC's default.
use strict;
use warnings;
use Getopt::Long qw(GetOptions);
use JSON::XS;
use POSIX ();
use Event::RPC::Client;

my %opt;
GetOptions(
    'port=i'      => \$opt{port},
    'ssl'         => \$opt{ssl},
    'ca-file=s'   => \$opt{ca_file},
    'verify'      => \$opt{verify},
    'auth-user=s' => \$opt{auth_user},
    'auth-pass=s' => \$opt{auth_pass},
) or die "usage: $0 --port P [--ssl [--ca-file F] [--verify]] [--auth-user U --auth-pass TOKEN]\n";

$SIG{ALRM} = sub { print qq({"error":"timed out"}\n); POSIX::_exit(2) };
alarm 30;

my $out = JSON::XS->new->canonical->utf8;
my $result = eval {
    my $client = Event::RPC::Client->new(
        host                => '127.0.0.1',
        port                => $opt{port},
        timeout             => 10,
        insecure_msg_fmt_ok => 0,
        ( $opt{ssl} ? ( ssl => 1 ) : () ),
        ( $opt{ca_file} ? ( ssl_ca_file => $opt{ca_file} ) : () ),
        ( $opt{verify} ? ( ssl_opts => { SSL_verify_mode => 1 } ) : () ),
        ( $opt{auth_user} ? ( auth_user => $opt{auth_user}, auth_pass => $opt{auth_pass} ) : () ),
    );
    $client->connect;
    my $obj  = Event_RPC_Test->new( data => 'secure' );
    my $data = $obj->get_data;
    my $format = $client->get_message_format;
    undef $obj;
    $client->disconnect;
    { data => $data, format => $format };
};
if ( !$result ) {
    my $error = "$@";
    $error =~ s/ at \S+ line \d+\.?\n?\z//;
    $error =~ s/\s+\z//;
    $result = { error => $error };
}
print $out->encode($result), "\n";
exit 0;
