#!/usr/bin/perl
# The Perl side of the codec agreement tests, through Event::RPC's own message classes.
#   codec-peer.pl encode JSON|CBOR   prints the reference request, encoded as Event::RPC sends it
#   codec-peer.pl list JSON|CBOR     prints a small list whose bytes do not depend on hash order
#   codec-peer.pl decode JSON|CBOR   reads a message on stdin, prints what Perl made of it as canonical JSON
use strict;
use warnings;
use utf8;
use JSON::XS;
use Scalar::Util qw(blessed reftype);
use Event::RPC::Message::JSON;
use Event::RPC::Message::CBOR;

my ($mode, $format) = @ARGV;
my $class = $format eq 'JSON' ? 'Event::RPC::Message::JSON' : 'Event::RPC::Message::CBOR';
binmode STDIN;
binmode STDOUT;

# A remote object as the Perl client holds it: a blessed scalar holding the oid.
my $oid = "Event_RPC_Test2=HASH(0x558656466a10)";
my $object = bless \$oid, 'Event_RPC_Test2';
my $bytes = "Gr\xfc\xdfe";    # a byte string (no UTF8 flag): CBOR::XS sends it as bytes

if ($mode eq 'encode') {
    print $class->encode_message({
        cmd    => 'exec',
        oid    => 'Event_RPC_Test=HASH(0x5586564666f8)',
        method => 'set_object2',
        params => [ $object, 'Grüße', '你好世界', "\x{1F600}", 7, -42, 3.25, undef, [ 1, [ 2, { a => 'b' } ] ], 18446744073709551615, $bytes ],
    });
}
elsif ($mode eq 'list') {
    print $class->encode_message([ 'Grüße', '你好世界', "\x{1F600}", 7, -1, 1000, 4294967296, undef, [], 'plain ascii' ]);
}
elsif ($mode eq 'decode') {
    local $/;
    my $decoded = $class->decode_message(<STDIN>);
    print JSON::XS->new->canonical->utf8->allow_nonref->encode(plain($decoded));
}
else { die "usage: $0 encode|list|decode JSON|CBOR\n" }

# Everything as JSON can show it: blessed references become {blessed, reftype, value}, scalars strings.
sub plain {
    my ($v) = @_;
    return undef unless defined $v;
    my $ref = ref $v;
    return "$v" unless $ref;
    if (blessed $v) {
        my $type = reftype $v;
        return { blessed => $ref, reftype => $type, value => plain($type eq 'SCALAR' ? $$v : $type eq 'ARRAY' ? [@$v] : {%$v}) };
    }
    return [ map { plain($_) } @$v ] if $ref eq 'ARRAY';
    return { map { ($_ => plain($v->{$_})) } keys %$v } if $ref eq 'HASH';
    return "$$v" if $ref eq 'SCALAR';
    return "$v";
}
