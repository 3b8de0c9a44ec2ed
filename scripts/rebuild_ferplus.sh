#!/bin/sh
# Rebuild the `ferplus` model from its presets: three FER+ teachers, their first student, the
# student taught with flipped faces that ships, calibrated on the FER+ and RAF-DB held-out tenths
# (one temperature, then one that reads the logits) and shipped (docs/model_card.md, "FER+" and
# "Every kind of face"). About 2 hours on a 2-core AVX-512 CPU. Each step resumes after an
# interruption (run the script again).
#
#   scripts/rebuild_ferplus.sh [FERPLUS] [FER2013] [RAFDB]   (defaults: ../shared/ferplus ../shared/fer2013 ../shared/rafdb)
set -eu
FERPLUS=${1:-../shared/ferplus}
FER2013=${2:-../shared/fer2013}
RAFDB=${3:-../shared/rafdb}
PYTHON=${PYTHON:-.venv/bin/python}

. "$(dirname "$0")/rebuild_runs.sh"  # train OUT [options]

train ferplus_vgg_s --preset ferplus_vgg_s
train ferplus_vgg_s_fer2013_labels --preset ferplus_vgg_s \
    --set "data.fer2013_labels_from=$FER2013" --set train.fer2013_label_weight=0.25
train ferplus_vgg_s_from_long_swa --preset ferplus_vgg_s --set train.init_from=vgg_s_distilled_long_swa
train ferplus_vgg_s_distilled_swa --preset ferplus_vgg_s_distilled_swa
train ferplus_student_flip24 --preset ferplus_student_flip24

"$MIEN" calibrate runs/ferplus_student_flip24/last.pt --data "$FERPLUS" --data "$RAFDB" --split holdout --no-tta \
    --no-class-bias --out runs/ferplus_student_flip24/calibrated.pt
"$MIEN" calibrate runs/ferplus_student_flip24/calibrated.pt --data "$FERPLUS" --data "$RAFDB" --split holdout --no-tta \
    --by-hidden --out runs/ferplus_student_flip24/by_hidden.pt
"$PYTHON" scripts/ship_weights.py runs/ferplus_student_flip24/by_hidden.pt ferplus --int8 --data "$FERPLUS" --fp16-weights
