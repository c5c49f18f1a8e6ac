# FakeClock: runs SEC on the timestamps in its input lines instead of the wall clock.
#
#   perl -Ibench/sec -MFakeClock /usr/bin/sec --conf=bench/sec/sec.conf ...
#
# -M loads this module before /usr/bin/sec is compiled, so every time() that SEC calls (windows,
# context lifetimes, the process_lists() tick, Calendar rules, %u/%t) compiles to FakeClock::now().
# The first rule of sec.conf (a PerlFunc pattern that never matches) calls FakeClock::set() with each
# line, so every later rule sees the line with the clock already at the line's time.
# Before any line is read, the clock reads the time of the first line of the --input file: SEC runs
# its timers (and Calendar rules) once at start, as at a live start at that moment. The clock never
# goes back.
package FakeClock;
use strict;
use warnings;
use Time::Local ();

our $now = 0;          # seconds since the epoch, as time() returns them
my $stamp = '';        # the last timestamp text seen (lines of one second share it: parsed once)
my %day;               # 'YYYY-MM-DD' -> epoch of its midnight UTC

BEGIN {
    *CORE::GLOBAL::time = sub () { $now };
}

# set(LINE): move the clock to the RFC 3339 timestamp that starts LINE (whole seconds; a fraction is
# ignored; offset Z or +hh:mm/-hh:mm). Returns 0, so the rule calling it never matches.
sub set {
    my $t = substr($_[0], 0, index($_[0], ' '));
    return 0 if $t eq $stamp;
    $stamp = $t;
    return 0 unless $t =~ /^(\d{4}-\d\d-\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|([+-])(\d\d):(\d\d))$/;
    my $d = $day{$1} //= do {
        my ($y, $m, $dd) = split /-/, $1;
        Time::Local::timegm(0, 0, 0, $dd, $m - 1, $y);
    };
    my $s = $d + $2 * 3600 + $3 * 60 + $4;
    if ($5 ne 'Z') { my $off = $7 * 3600 + $8 * 60; $s += $6 eq '+' ? -$off : $off; }
    $now = $s if $s > $now;
    return 0;
}

# Start the clock at the first line of SEC's --input file (-M runs this before sec reads @ARGV).
for my $i (0 .. $#ARGV) {
    my $file = $ARGV[$i] =~ /^--?input=(.+)$/ ? $1
             : $ARGV[$i] =~ /^--?input$/ ? $ARGV[$i + 1] : undef;
    next unless defined $file;
    if (open(my $fh, '<', $file)) { my $line = <$fh>; set($line) if defined $line; close $fh; }
    last;
}
warn "FakeClock: no --input file to start the clock from; it starts at 0 (1970)\n" unless $now;

1;
