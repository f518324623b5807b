#!/usr/bin/perl
# The real Event::RPC::Client running one scenario over the TestClasses.pm
# contract. Prints ONE line of canonical JSON (UTF-8) with every step's result.
#
#   perl client.pl --port P [--max-packet-size N] [--timeout SECONDS]
#
# Connects to 127.0.0.1:P with insecure_msg_fmt_ok => 0; the format is the
# first one the server offers that this Perl can load. Every step runs in its
# own eval: a failing step is reported as {"error": "..."} and the rest still
# run. Every proxy a step obtains is released (client_destroy) when the step
# ends, so each step starts with only the main object held.
#
# Error texts are reported as the client raised them, minus the location
# Carp/die appends at the very end (" at client.pl line N.\n"), so they do not
# depend on this file's line numbers or on how it was invoked.
use strict;
use warnings;
use utf8;
use Getopt::Long qw(GetOptions);
use JSON::XS;
use IO::Handle;
use POSIX ();
use Types::Serialiser;
use Event::RPC::Client;

binmode STDOUT;

my %opt = ( port => undef, timeout => 60 );
GetOptions(
    'port=i'            => \$opt{port},
    'max-packet-size=i' => \$opt{max_packet_size},
    'timeout=f'         => \$opt{timeout},
) or die "usage: $0 --port P [--max-packet-size N] [--timeout S]\n";
die "$0: --port is required\n" unless $opt{port};

my $TRUE  = Types::Serialiser::true;
my $FALSE = Types::Serialiser::false;
sub bool { $_[0] ? $TRUE : $FALSE }

my %result;
my @warnings;
my $output = JSON::XS->new->canonical->utf8;

sub emit {
    $result{warnings} = [@warnings];
    print $output->encode( \%result ), "\n";
}

# Whatever happens, end in bounded time: print what we have and leave at once
# (POSIX::_exit: no DESTROY may try to talk to a server that hangs).
$SIG{ALRM} = sub {
    $result{timeout} = "no result after $opt{timeout} seconds";
    emit();
    STDOUT->flush;
    POSIX::_exit(2);
};
alarm $opt{timeout};

$SIG{__WARN__} = sub { push @warnings, clean_error( $_[0] ) };

sub clean_error {
    my ($text) = @_;
    $text = "$text";
    $text =~ s/ at \S+ line \d+\.?\n\z//;
    return $text;
}

sub step {
    my ( $name, $code ) = @_;
    my $value = eval { $code->() };
    $result{$name} = $@ ? { error => clean_error($@) } : $value;
    return;
}

# Runs $code, which must die; returns the cleaned error text (or notes that
# it did not die).
sub caught {
    my ($code) = @_;
    my @rc = eval { $code->() };
    return { caught => clean_error($@) } if $@;
    return { no_exception => [@rc] };
}

sub oid_class { ( split /=/, ${ $_[0] }, 2 )[0] }

Event::RPC::Client->set_max_packet_size( $opt{max_packet_size} )
    if $opt{max_packet_size};

my $client = Event::RPC::Client->new(
    host                => '127.0.0.1',
    port                => $opt{port},
    timeout             => 10,
    insecure_msg_fmt_ok => 0,
);

eval { $client->connect; 1 } or do {
    $result{connect} = { error => clean_error($@) };
    emit();
    exit 1;
};

my $obj;

step negotiation => sub {
    return {
        format          => $client->get_message_format,
        server_version  => $client->get_server_version,
        server_protocol => $client->get_server_protocol,
    };
};

step class_info_all => sub {
    my $rc   = $client->send_request( { cmd => 'class_info_all' } );
    my $info = $rc->{class_info_all};
    # The method type travels as 1 or "1" depending on Perl's mood: strings here.
    return { map { my $c = $_; ( $c => { map { ( $_ => "$info->{$c}{$_}" ) } keys %{ $info->{$c} } } ) } keys %$info };
};

step constructor => sub {
    my %r;
    $obj = Event_RPC_Test->new( data => 'wire' );
    $r{proxy_class} = ref $obj;
    $r{oid_class}   = oid_class($obj);
    $r{get_data}    = $obj->get_data;
    $r{hello}       = $obj->hello;
    $r{set_data}    = $obj->set_data('Grüße 你好');
    $r{get_data_after_set} = $obj->get_data;
    $r{hello_after_set}    = $obj->hello;
    $r{set_data_back}      = $obj->set_data('main');
    return \%r;
};

step echo => sub {
    my $bytes = "Gr\xfc\xdfe";    # the same text as a byte string (no UTF8 flag)
    utf8::downgrade($bytes);
    my @list = $obj->echo(
        'Grüße', $bytes, '你好世界', "\x{1F600}", 7, -42, 0, 4294967296, 3.25, -0.5,
        '42', '', undef, [ 1, [ 2, { a => 'b' } ] ], { key => 'value', n => 1, nested => [ 'ü', {} ] },
    );
    my @empty  = $obj->echo();
    my $scalar = $obj->echo( 'first', 'second' );
    return { list => \@list, count => scalar @list, empty => \@empty, scalar_context => $scalar };
};

step big_data_struct => sub {
    my $data = $obj->get_big_data_struct;
    return $data;
};

step clone => sub {
    my $clone = $obj->clone;
    return {
        data          => $clone->get_data,
        proxy_class   => ref $clone,
        oid_class     => oid_class($clone),
        distinct_oid  => bool( $$clone ne $$obj ),
        original_data => $obj->get_data,
    };
};

step object2 => sub {
    my %r;
    my $o2 = $obj->new_object2('obj2');
    $r{proxy_class} = ref $o2;
    $r{oid_class}   = oid_class($o2);
    $r{data}        = $o2->get_data;
    my $again = $obj->get_object2;
    $r{get_object2_data}     = $again->get_data;
    $r{get_object2_same_oid} = bool( $$again eq $$o2 );
    $o2->set_data('obj2 changed');
    $r{data_after_set_via_other_proxy} = $again->get_data;
    my $copy = $o2->get_object_copy;
    $r{copy_data}         = $copy->get_data;
    $r{copy_proxy_class}  = ref $copy;
    $r{copy_distinct_oid} = bool( $$copy ne $$o2 );
    return \%r;
};

step set_object2 => sub {
    my %r;
    my $second = Event_RPC_Test2->new( data => 'second' );
    $r{constructor_proxy_class} = ref $second;
    $r{set_object2}             = $obj->set_object2($second);
    my $back = $obj->get_object2;
    $r{get_object2_data}     = $back->get_data;
    $r{get_object2_same_oid} = bool( $$back eq $$second );
    return \%r;
};

step multi => sub {
    my @rc = $obj->multi(3);
    my ( $list, $hash ) = @rc;
    my %seen;
    $seen{$$_}++ for @$list;
    return {
        rc_count        => scalar @rc,
        list_data       => [ map { $_->get_data } @$list ],
        list_classes    => [ map { ref $_ } @$list ],
        hash_data       => { map { ( $_ => $hash->{$_}->get_data ) } keys %$hash },
        distinct_oids   => scalar keys %seen,
        hash_same_oids_as_list => bool( !grep { ${ $hash->{ $_ + 1 } } ne ${ $list->[$_] } } 0 .. $#$list ),
    };
};

step undef_object => sub {
    my @list   = $obj->get_undef_object;
    my $scalar = $obj->get_undef_object;
    return {
        scalar_defined => bool( defined $scalar ),
        rc_count       => scalar @list,
        rc             => \@list,
    };
};

step singleton => sub {
    my $s1 = Event_RPC_Test->singleton;
    my $s2 = Event_RPC_Test->singleton;
    return {
        data1       => $s1->get_data,
        data2       => $s2->get_data,
        proxy_class => ref $s1,
        same_oid    => bool( $$s1 eq $$s2 ),
        hello       => $s2->hello,
    };
};

# get_object_cnt counts the objects the server holds with a reference count
# above zero: every proxy the client got counts once, every client_destroy
# (a proxy going out of scope) takes one away.
step object_cnt => sub {
    my %r;
    $r{at_start} = $obj->get_object_cnt;    # just the main object
    my $clone = $obj->clone;
    my ( $list, $hash ) = $obj->multi(2);   # 2 oids, 4 proxies
    my $s1 = Event_RPC_Test->singleton;
    my $s2 = Event_RPC_Test->singleton;     # 1 oid, 2 proxies
    $r{holding_all} = $obj->get_object_cnt;
    undef $s1;
    $r{after_releasing_one_of_two_singleton_proxies} = $obj->get_object_cnt;
    undef $list;
    $r{after_releasing_multi_list} = $obj->get_object_cnt;
    undef $hash;
    $r{after_releasing_multi_hash_too} = $obj->get_object_cnt;
    undef $s2;
    $r{after_releasing_second_singleton_proxy} = $obj->get_object_cnt;
    undef $clone;
    $r{after_releasing_all} = $obj->get_object_cnt;
    return \%r;
};

# Several proxies of one object, as Perl programs hold them: dropping all but
# one leaves the object usable, dropping the last frees it; a singleton
# survives every release. A raw exec with a remembered oid shows whether the
# server still knows the object.
step shared_proxies => sub {
    my %r;
    my $raw_get_data = sub {
        my ($oid) = @_;
        my $rc = $client->send_request( { cmd => 'exec', oid => $oid, method => 'get_data', params => [] } );
        return $rc->{rc}->[0];
    };

    my ( $list, $hash ) = $obj->multi(3);    # each object is handed out twice
    my $oid = ${ $list->[0] };
    $r{multi_refcount} = $obj->get_refcount($oid);
    undef $hash;
    $r{multi_refcount_after_dropping_hash} = $obj->get_refcount($oid);
    $r{multi_data_through_list} = $list->[0]->get_data;
    undef $list;
    $r{multi_refcount_after_dropping_list} = $obj->get_refcount($oid);

    my $made  = $obj->new_object2('shared');    # an Event_RPC_Test2 ...
    my $again = $obj->get_object2;              # ... returned twice more
    my $last  = $obj->get_object2;
    my $oid2  = $$made;
    $r{object2_same_oid} = bool( $$again eq $oid2 && $$last eq $oid2 );
    $r{object2_refcount} = $obj->get_refcount($oid2);
    undef $made;
    undef $again;
    $r{object2_refcount_after_dropping_two} = $obj->get_refcount($oid2);
    $r{object2_data_through_last}           = $last->get_data;
    undef $last;
    $r{object2_refcount_after_last} = $obj->get_refcount($oid2);
    $r{object2_after_last}          = caught( sub { $raw_get_data->($oid2) } );
    $r{object2_after_last}->{caught} =~ s/\Q$oid2\E/<oid>/ if $r{object2_after_last}->{caught};
    $r{object_cnt_after_last}       = $obj->get_object_cnt;

    my $s1   = Event_RPC_Test->singleton;
    my $s2   = Event_RPC_Test->singleton;
    my $soid = $$s1;
    $r{singleton_refcount} = $obj->get_refcount($soid);
    undef $s1;
    undef $s2;
    $r{singleton_refcount_after_every_release} = $obj->get_refcount($soid);
    $r{singleton_after_every_release}          = $raw_get_data->($soid);
    $r{singleton_again_same_oid}               = bool( ${ Event_RPC_Test->singleton } eq $soid );
    return \%r;
};

step cid => sub {
    my $cid1 = $obj->get_cid;
    my $cid2 = $obj->get_cid;
    my $copy = $cid1;    # compare copies: keep the reported value's type as it came
    my $cmp  = $cid2;
    return {
        cid                 => $cid1,
        same_on_second_call => bool( $copy eq $cmp ),
        is_positive_integer => bool( "$copy" =~ /\A[1-9][0-9]*\z/ ),
    };
};

step die_with => sub { caught( sub { $obj->die_with('boom') } ) };

step not_exported => sub {
    return {
        proxy_method_defined => bool( Event_RPC_Test->can('not_exported') ),
        remote => caught( sub {
            $client->send_request( { cmd => 'exec', oid => $$obj, method => 'not_exported', params => [] } );
        } ),
    };
};

step unknown_oid => sub {
    caught( sub {
        $client->send_request( { cmd => 'exec', oid => 'Event_RPC_Test=HASH(0xdeadbeef)', method => 'get_data', params => [] } );
    } );
};

step illegal_constructor => sub {
    caught( sub {
        $client->send_request( { cmd => 'new', method => 'Event_RPC_Test::get_data', params => [] } );
    } );
};

step big_string => sub {
    my %r = ( limit => $opt{max_packet_size} );
    if ( my $max = $opt{max_packet_size} ) {
        my $under = $obj->big_string( $max - 1000 );
        $r{under_limit} = { requested => $max - 1000, length => length $under, all_x => bool( $under =~ /\Ax*\z/ ) };
        $r{over_limit}  = { requested => $max + 1000, %{ caught( sub { $obj->big_string( $max + 1000 ) } ) } };
    }
    else {
        my $big = $obj->big_string(1_000_000);
        $r{no_limit} = { requested => 1_000_000, length => length $big, all_x => bool( $big =~ /\Ax*\z/ ) };
    }
    $r{get_data_after} = $obj->get_data;
    return \%r;
};

step final_get_data => sub { $obj->get_data };

alarm 0;
undef $obj;
$client->disconnect;
emit();
exit 0;
