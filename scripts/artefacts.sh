# The committed results and how each artefact is made from them; sourced by reproduce.sh and
# check-artefacts.sh so that the two can never disagree. REPRO is the repro binary to call.

# Every committed spec, in the order reproduce.sh runs them (cheap first); each writes results/<name>/.
SPECS=(quick fig3-fashion fig1 fig2 fig2-seeds fig3-tpc fig3-tv fig3-tfrac dmn-thresholds inside ablations fig3 authors protocols)

# Reports and figures of every results folder under ROOT (results/ or a scratch copy of it).
regenerate_artefacts() {
  local root=$1 dir
  for dir in "$root"/*/; do
    dir=${dir%/}
    [ -d "$dir/runs" ] || continue
    # Figures first: the report links the ones it finds beside it.
    "$REPRO" plot "$dir" >/dev/null 2>&1
    "$REPRO" report "$dir" --quiet
  done
  # The paper's experiments together (the protocol studies feed its claim-robustness section and
  # figure), and Fig. 3 bottom from the three sweeps.
  "$REPRO" plot "$root/fig3-tpc" "$root/fig3-tv" "$root/fig3-tfrac" --out "$root/fig3-bottom" >/dev/null 2>&1
  local paper=("$root/fig3" "$root/fig3-tpc" "$root/fig3-tv" "$root/fig3-tfrac" "$root/fig1" "$root/fig2"
               "$root/fig2-seeds" "$root/authors" "$root/protocols")
  "$REPRO" plot "${paper[@]}" --out "$root" >/dev/null 2>&1
  "$REPRO" report "${paper[@]}" --out "$root/REPORT.md" --quiet
}

# The claims table of ROOT/REPORT.md, as README quotes it (between its BEGIN/END claims markers).
claims_table() {
  awk '/^\| claim \| verdict \| numbers \|/ { on = 1 } on && /^\|/ { print; next } on { exit }' "$1/REPORT.md"
}

# README.md with its claims block replaced by the table of ROOT/REPORT.md, on standard output.
readme_with_claims() {
  # Through the environment, not awk -v, which would interpret backslashes in the table.
  CLAIMS_TABLE=$(claims_table "$1") awk '
    /^<!-- BEGIN claims/ { print; print ENVIRON["CLAIMS_TABLE"]; skip = 1; next }
    /^<!-- END claims/ { skip = 0 }
    !skip { print }' README.md
}
