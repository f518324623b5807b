#!/usr/bin/perl
# The Perl side of the Sereal agreement tests, through Event::RPC's own message class
# (Event::RPC::Message::Sereal: Sereal::Encoder->new and Sereal::Decoder->new, default options).
#   sereal-peer.pl encode    prints the reference request, built first and then encoded (as a server's answer is)
#   sereal-peer.pl sent      prints the reference request as Event::RPC::Client sends it (params => \@_)
#   sereal-peer.pl answer    prints an answer {ok => 1, rc => \@rc} as Event::RPC::Connection returns it
#   sereal-peer.pl list      prints a small list
#   sereal-peer.pl corpus    prints {name: hex} for a corpus of values, one document each
#   sereal-peer.pl decode    reads a message on stdin, prints what Perl made of it as canonical JSON
#   sereal-peer.pl typed     the same, each scalar as "type:value" (bool, int, num, str, utf8)
# Values are built in one statement and encoded in the next, so that every container has
# one reference and Sereal::Encoder writes ARRAYREF_n / HASHREF_n, as it does for fresh data.
use strict;
use warnings;
use utf8;
use JSON::XS;
use B ();
use Scalar::Util qw(blessed reftype weaken);
use Sereal::Encoder;
use Event::RPC::Message::Sereal;

my $class = 'Event::RPC::Message::Sereal';
my ($mode) = @ARGV;
binmode STDIN;
binmode STDOUT;
$mode //= '';

# A remote object as the Perl client holds it: a blessed scalar holding the oid.
my $oid = "Event_RPC_Test2=HASH(0x558656466a10)";

sub request_params {
    my $object = bless \(my $copy = $oid), 'Event_RPC_Test2';
    return ($object, 'Grüße', '你好世界', "\x{1F600}", 7, -42, 3.25, undef, [ 1, [ 2, { a => 'b' } ] ], 9007199254740991, 18446744073709551615, !!1, !!0, 0.1);
}

if ($mode eq 'encode') {
    my $request = { cmd => 'exec', oid => 'Event_RPC_Test=HASH(0x5586564666f8)', method => 'set_object2', params => [ request_params() ] };
    print $class->encode_message($request);
}
elsif ($mode eq 'sent') {
    # Event::RPC::Client: send_request({ cmd => 'exec', oid => ${$oid_ref}, method => $m, params => \@_ })
    my $send = sub { $class->encode_message({ cmd => 'exec', oid => 'Event_RPC_Test=HASH(0x5586564666f8)', method => 'set_object2', params => \@_ }) };
    print $send->(request_params());
}
elsif ($mode eq 'answer') {
    # Event::RPC::Connection::execute_method: my @rc = ...; return { ok => 1, rc => \@rc }
    my $answer = sub { my @rc = ('Grüße 你好', 42, [ { id => 1, label => 'first' }, { id => 2, label => 'zweite' } ], undef); return { ok => 1, rc => \@rc } };
    my $message = $answer->();
    print $class->encode_message($message);
}
elsif ($mode eq 'list') {
    my $list = [ 'Grüße', '你好世界', "\x{1F600}", 7, -1, 1000, 4294967296, undef, [], 'plain ascii' ];
    print $class->encode_message($list);
}
elsif ($mode eq 'corpus') {
    print JSON::XS->new->canonical->encode({ map { ($_ => unpack('H*', corpus()->{$_})) } keys %{ corpus() } });
}
elsif ($mode eq 'decode' || $mode eq 'typed') {
    local $/;
    my $decoded = $class->decode_message(<STDIN>);
    print JSON::XS->new->canonical->utf8->allow_nonref->encode(plain($decoded, $mode eq 'typed'));
}
else { die "usage: $0 encode|sent|answer|list|corpus|decode|typed\n" }

# One document per entry; the test knows what each must decode to.
sub corpus {
    my $e = Sereal::Encoder->new;
    my %v;
    $v{pos} = [ 0, 1, 15 ];
    $v{neg} = [ -1, -16 ];
    $v{varint} = [ 16, 127, 128, 300, 4294967296, 9007199254740991 ];
    $v{zigzag} = [ -17, -1000, -4294967296, -9007199254740991 ];
    $v{u64} = [ 18446744073709551615, 9007199254740993 ];
    $v{i64} = [ -9223372036854775808 ];
    $v{float} = [ 3.25, -0.5, 1.5e10 ];
    $v{double} = [ 0.1, 1e300, -2.5e-8 ];
    $v{strings} = [ '', 'a', 'x' x 31, 'y' x 32, 'z' x 200 ];
    $v{utf8} = [ 'Grüße', '你好世界', "\x{1F600}", 'ü' x 100 ];
    $v{bytes} = [ "Gr\xfc\xdfe", "\x00\x01\xff" ];
    $v{undef} = [ undef, 1 ];
    $v{bools} = [ !!1, !!0 ];
    $v{nested} = { list => [ 1, [ 2, [ 3, { deep => [] } ] ] ], empty => {} };
    $v{long_list} = [ 1 .. 20 ];
    $v{big_hash} = { map { ("k$_" => $_) } 1 .. 20 };
    $v{repeated_keys} = [ { id => 1, label => 'a' }, { id => 2, label => 'b' }, { id => 3, label => 'c' } ];
    $v{utf8_keys} = [ { 'Grüße' => 1 }, { 'Grüße' => 2 } ];
    $v{object} = bless \(my $o1 = $oid), 'Event_RPC_Test2';
    $v{objects} = [ (bless \(my $o2 = 'A=1'), 'Cls'), (bless \(my $o3 = 'A=2'), 'Cls'), (bless \(my $o4 = 'B=1'), 'Other') ];
    $v{blessed_array} = bless [ 1, 2 ], 'Arr';
    $v{blessed_hash} = bless { k => 'v' }, 'Hsh';
    my $same = bless \(my $o5 = 'S=1'), 'Cls';
    $v{same_object} = [ $same, $same ];
    my $shared = [ 1, 2 ];
    $v{shared_array} = [ $shared, $shared ];
    my $shared_hash = { a => 1 };
    $v{shared_hash} = [ $shared_hash, $shared_hash ];
    my $string = 'abc';
    $v{scalar_refs} = [ \$string, \$string ];
    my @alias = (5);
    $v{alias} = sub { \@_ }->($alias[0], $alias[0]);
    my $cycle = [];
    push @$cycle, $cycle;
    $v{cycle} = $cycle;
    my $weak = {};
    $weak->{self} = $weak;
    weaken($weak->{self});
    $v{weak_cycle} = $weak;
    $v{regexp} = qr/ab+c/i;

    my %docs = map { ($_ => $e->encode($v{$_})) } keys %v;
    my $versioned = [ [ 1, { a => 'b' }, [1], 'x', -5 ], { a => 'c' } ];
    $docs{"v$_"} = Sereal::Encoder->new({ protocol_version => $_ })->encode($versioned) for 1 .. 5;
    $docs{header_data} = Sereal::Encoder::encode_sereal_with_header_data([ 1 ], { user => 'data' });
    $docs{top_undef} = $e->encode(undef);
    $docs{compressed} = Sereal::Encoder->new({ compress => Sereal::Encoder::SRL_ZLIB(), compress_threshold => 0 })->encode([ 'x' x 100 ]);
    delete $v{cycle}->[0];    # break the cycles, so that Perl can free them
    delete $v{weak_cycle}->{self};
    return \%docs;
}

# Everything as JSON can show it: blessed references become {blessed, reftype, value}; scalars strings,
# or with $typed "type:value" strings, so that a test can tell 7 from "7" and text from bytes.
sub plain {
    my ($v, $typed) = @_;
    return undef unless defined $v;
    my $ref = ref $v;
    return $typed ? scalar_type($v) : "$v" unless $ref;
    if (blessed $v) {
        my $type = reftype $v;
        return { blessed => $ref, reftype => $type, value => plain($type eq 'SCALAR' ? $$v : $type eq 'ARRAY' ? [@$v] : {%$v}, $typed) };
    }
    return [ map { plain($_, $typed) } @$v ] if $ref eq 'ARRAY';
    return { map { ($_ => plain($v->{$_}, $typed)) } keys %$v } if $ref eq 'HASH';
    return "$$v" if $ref eq 'SCALAR';
    return "$v";
}

sub scalar_type {
    my ($v) = @_;
    my $flags = B::svref_2object(\$v)->FLAGS;
    return 'bool:' . ($v ? 1 : 0) if is_bool($v);
    return (utf8::is_utf8($v) ? 'utf8:' : 'str:') . $v if $flags & B::SVf_POK;
    return "int:$v" if $flags & B::SVf_IOK;
    return "num:$v" if $flags & B::SVf_NOK;
    return "?:$v";
}

sub is_bool {
    no warnings;
    return defined &builtin::is_bool ? builtin::is_bool($_[0]) : 0;
}
