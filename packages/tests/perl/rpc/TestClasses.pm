# The classes both interop servers export (the Perl one in server.pl, the
# TypeScript one in the jest tests). Keep this file and the TypeScript copy
# of the contract in step: method names, return types and return values.
package TestClasses;

use strict;
use warnings;
use utf8;

# What Event::RPC::Server gets as `classes => ...`.
# 1 = simple method, _constructor, _singleton (announced to clients as
# _constructor), _object = returns objects (top level, or one level down in
# an array/hash ref).
our %EXPORT = (
    Event_RPC_Test => {
        new                 => '_constructor',
        singleton           => '_singleton',
        get_data            => 1,
        set_data            => 1,
        hello               => 1,
        echo                => 1,
        get_cid             => 1,
        get_object_cnt      => 1,
        get_refcount        => 1,
        get_big_data_struct => 1,
        clone               => '_object',
        new_object2         => '_object',
        get_object2         => '_object',
        set_object2         => 1,
        multi               => '_object',
        get_undef_object    => '_object',
        big_string          => 1,
        die_with            => 1,
    },
    Event_RPC_Test2 => {
        new             => '_constructor',
        get_data        => 1,
        set_data        => 1,
        get_object_copy => '_object',
    },
);

# A fresh copy each time: Event::RPC::Server rewrites '_singleton' to
# '_constructor' in the map it is given.
sub classes {
    return { map { ($_ => { %{ $EXPORT{$_} } }) } keys %EXPORT };
}

# The structure get_big_data_struct returns (built fresh on every call, so no
# value has been used as a string or a number before it is encoded).
sub big_data_struct {
    return {
        name    => 'big data struct',
        unicode => {
            chinese => '你好世界',
            german  => 'Grüße',
            emoji   => "\x{1F600}",
        },
        numbers => {
            zero      => 0,
            one       => 1,
            minus_one => -1,
            small     => 42,
            negative  => -42,
            byte      => 255,
            word      => 65535,
            two_32    => 4294967296,
            two_40    => 1099511627776,
            max_safe  => 9007199254740991,
            min_safe  => -9007199254740991,
            float     => 3.25,
            neg_float => -0.5,
            tenth     => 0.1,
        },
        strings => [ '', '42', 'plain ascii', 'with "quotes" and \\ backslash', "tab\tnewline\n" ],
        list    => [ 1, 'two', 3.5, undef, [ 'nested', [ 'deeper', { key => 'value' } ] ], {} , [] ],
        records => [
            { id => 1, label => 'first',  tags => [ 'a', 'b' ] },
            { id => 2, label => 'zweite', tags => [] },
            { id => 3, label => '第三',   tags => [ 'ü' ] },
        ],
        undef_value => undef,
    };
}

package Event_RPC_Test;

use strict;
use warnings;
use utf8;

my $SINGLETON;

sub new {
    my $class = shift;
    my %par   = @_;
    return bless { data => $par{data}, object2 => undef }, $class;
}

# Declared '_singleton': one shared instance, data 'singleton'.
sub singleton {
    $SINGLETON ||= Event_RPC_Test->new( data => 'singleton' );
    return $SINGLETON;
}

sub get_data { $_[0]->{data} }

sub set_data {
    my ( $self, $value ) = @_;
    $self->{data} = $value;
    return $value;
}

sub hello { 'Hello, ' . $_[0]->{data} }

sub echo {
    my $self = shift;
    return @_;
}

sub get_cid {
    return Event::RPC::Server->instance->get_active_connection->get_cid;
}

# The number of objects the server holds for clients with a reference count
# above zero (Event::RPC::Server's object register; one client per test server).
# Singletons stay registered at count zero, and are not counted then.
sub get_object_cnt {
    my $objects = Event::RPC::Server->instance->get_objects;
    return scalar grep { $_->{refcount} > 0 } values %{$objects};
}

# How many times $oid was handed to clients and not yet released (0 when unknown).
sub get_refcount {
    my ( $self, $oid ) = @_;
    my $entry = Event::RPC::Server->instance->get_objects->{$oid};
    return $entry ? $entry->{refcount} : 0;
}

sub get_big_data_struct { TestClasses::big_data_struct() }

sub clone {
    my $self = shift;
    return Event_RPC_Test->new( data => $self->{data} );
}

sub new_object2 {
    my ( $self, $data ) = @_;
    $self->{object2} = Event_RPC_Test2->new( data => $data );
    return $self->{object2};
}

sub get_object2 { $_[0]->{object2} }

sub set_object2 {
    my ( $self, $object2 ) = @_;
    $self->{object2} = $object2;
    return $object2->get_data;
}

# Returns a LIST of two values: an array ref of $n new objects (data
# "multi 1" .. "multi $n") and a hash ref mapping 1..$n to the same objects.
sub multi {
    my ( $self, $n ) = @_;
    my ( @list, %hash );
    for my $i ( 1 .. $n ) {
        my $object = Event_RPC_Test->new( data => "multi $i" );
        push @list, $object;
        $hash{$i} = $object;
    }
    return ( \@list, \%hash );
}

sub get_undef_object { return undef }

sub big_string {
    my ( $self, $n ) = @_;
    return 'x' x $n;
}

sub die_with {
    my ( $self, $msg ) = @_;
    die "$msg\n";
}

package Event_RPC_Test2;

use strict;
use warnings;
use utf8;

sub new {
    my $class = shift;
    my %par   = @_;
    return bless { data => $par{data} }, $class;
}

sub get_data { $_[0]->{data} }

sub set_data {
    my ( $self, $value ) = @_;
    $self->{data} = $value;
    return $value;
}

sub get_object_copy {
    my $self = shift;
    return Event_RPC_Test2->new( data => $self->{data} );
}

1;
