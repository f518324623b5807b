#!/usr/bin/perl
# The real Event::RPC client connecting to PORT: prints the message format it ended up with, or why it died.
use strict;
use warnings;
use Event::RPC::Client;

my ($port) = @ARGV;
my $client = Event::RPC::Client->new(host => '127.0.0.1', port => $port, insecure_msg_fmt_ok => 0);
if (eval { $client->connect; 1 }) {
    print "format=", $client->get_message_format, "\n";
    $client->disconnect;
}
else {
    my $error = $@;
    $error =~ s/\s+$//;
    print "died=$error\n";
}
