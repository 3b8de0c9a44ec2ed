#!/bin/sh
# Rebuild the `wild` model: three sibling runs from the FER+ students, their weights averaged by a
# greedy soup on the held-out tenths, calibrated there (one temperature, then one that reads the
# logits; docs/model_card.md, "Weight soups" and "A temperature that reads the logits"). Needs
# the FER+ runs of scripts/rebuild_ferplus.sh, which it runs first; about 4 hours in all on a 2-core
# AVX-512 CPU (minutes on a GPU). Each step resumes after an interruption (run the script again).
#
#   scripts/rebuild_wild.sh [FERPLUS] [FER2013] [RAFDB]   (defaults: ../shared/ferplus ../shared/fer2013 ../shared/rafdb)
set -eu
FERPLUS=${1:-../shared/ferplus}
FER2013=${2:-../shared/fer2013}
RAFDB=${3:-../shared/rafdb}
PYTHON=${PYTHON:-.venv/bin/python}

"$(dirname "$0")/rebuild_ferplus.sh" "$FERPLUS" "$FER2013" "$RAFDB"

. "$(dirname "$0")/rebuild_runs.sh"  # train OUT [options]

joined="data.joint_with=[\"$RAFDB\"]"
train wild_vgg_s --preset wild_vgg_s --set "$joined" --set "data.fer2013_labels_from=$FER2013"
train wild_nohead_flip --preset wild_nohead --set "$joined" --set train.init_from=runs/ferplus_student_flip24/last.pt
train wild_nohead_swa20 --preset wild_nohead --set "$joined" --set train.epochs=20 --set train.swa_from_epoch=11

MIEN_FERPLUS=$FERPLUS MIEN_RAFDB=$RAFDB "$PYTHON" scripts/weight_soup.py --rule wild \
    runs/wild_vgg_s/last.pt runs/wild_nohead_flip/last.pt runs/wild_nohead_swa20/last.pt --out runs/wild_soup/soup.pt
"$MIEN" calibrate runs/wild_soup/soup.pt --data "$FERPLUS" --data "$RAFDB" --split holdout --no-tta --no-class-bias \
    --out runs/wild_soup/calibrated.pt
"$MIEN" calibrate runs/wild_soup/calibrated.pt --data "$FERPLUS" --data "$RAFDB" --split holdout --no-tta --by-logits \
    --out runs/wild_soup/by_logits.pt
"$PYTHON" scripts/ship_weights.py runs/wild_soup/by_logits.pt wild --int8 --data "$FERPLUS" --fp16-weights
