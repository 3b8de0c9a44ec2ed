# Sourced by the scripts/rebuild_*.sh scripts: train OUT [mien train's options...] trains runs/OUT on
# $FERPLUS with $MIEN (default .venv/bin/mien), resuming a run an interruption left half done and
# skipping one whose final epoch is written.
MIEN=${MIEN:-.venv/bin/mien}

train() {
    out=runs/$1; shift
    if [ -f "$out/last.pt" ] && [ -f "$out/.finished" ]; then return; fi
    resume=""; [ -f "$out/last.pt" ] && resume="--resume"
    "$MIEN" train --data "$FERPLUS" --out "$out" $resume "$@"
    touch "$out/.finished"
}
