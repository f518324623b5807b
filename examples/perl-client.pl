#!/usr/bin/perl
# A Perl program using a TypeScript server's objects through Event::RPC::Client (Debian: libevent-rpc-perl),
# exactly as it would use a Perl Event::RPC server's.
#
#   perl perl-client.pl PORT
use strict;
use warnings;
use Event::RPC::Client;

my $port = shift or die "usage: $0 PORT\n";
my $client = Event::RPC::Client->new(
    host    => '127.0.0.1',
    port    => $port,
    timeout => 10,
);
$client->connect;    # imports the server's classes as Perl packages

my $notebook = Notebook->new('diary');
$notebook->write($_) for 'first line', 'second line';
my $copy = $notebook->copy('copy');    # a remote object, as a Perl object
printf "%s has %d lines\n", $copy->title, $copy->write('third line');

eval { $notebook->write('') };
if ( my $error = $@ ) {
    $error =~ s/ -- called via .*//s;    # the server's message, without where the Perl client was called
    chomp $error;
    print "refused: $error\n";
}

$client->disconnect;
