#!/usr/bin/env bash
# Guards the size of the modules' public surface: counts the `public` and `open` declarations
# in Sources/**/*.swift and fails, naming the count and the ceiling, when the count is above
# the ceiling committed below. A new public declaration needs a reason; raise the ceiling in
# the same commit (docs/ARCHITECTURE.md). Used by .ci/run.
#
# How it counts: comments (`//…`, `/* … */`) and string literals (`"…"`, `"""…"""`) are blanked
# first, then every `public` keyword counts as one declaration, and so does every `open` that
# is followed by a declaration keyword or modifier (`open class`, `open func`, `open var`, …;
# `open` alone is an ordinary identifier). A string with an interpolation that itself holds a
# quote is blanked in pieces, which cannot add a keyword.
#
#   bash scripts/public-surface.sh          # the count against the ceiling
#   bash scripts/public-surface.sh --list   # also every counted declaration, as file:line
set -euo pipefail
cd "$(dirname "$0")/.."

# 567: the count after the cut of issue 26, which made internal every declaration that no other
# module (nor the `repro` executable) uses; what stays public is used across modules or required
# public by a public protocol (Layer, Codable, ExpressibleByArgument, …).
ceiling=567

list=0
[ "${1:-}" = --list ] && list=1

count=$(find Sources -name '*.swift' -print0 | sort -z | LIST=$list xargs -0 perl -0777 -ne '
  my $src = $_;
  # Blank comments and string literals, keeping their newlines so that line numbers hold.
  $src =~ s{(/\*.*?\*/|//[^\n]*|#*"""(?:.|\n)*?"""#*|"(?:\\.|[^"\\\n])*")}{ (my $s = $1) =~ s/[^\n]/ /g; $s }gse;
  while ($src =~ /\b(?:public\b|open(?=\s+(?:class|func|var|let|subscript|static|override|final|init|convenience|required)\b))/g) {
    $n++;
    if ($ENV{LIST}) {
      my $line = 1 + (substr($src, 0, pos($src)) =~ tr/\n//);
      print STDERR "$ARGV:$line\n";
    }
  }
  END { print $n + 0, "\n" }
')

if [ "$count" -gt "$ceiling" ]; then
  echo "public surface: $count public/open declarations in Sources/, above the ceiling of $ceiling" >&2
  echo "  (make the new ones internal, or raise the ceiling in scripts/public-surface.sh with a reason)" >&2
  exit 1
fi
echo "public surface: $count public/open declarations in Sources/ (ceiling $ceiling)"
