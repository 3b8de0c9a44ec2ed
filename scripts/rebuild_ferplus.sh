#!/bin/sh
# Rebuild the `ferplus` model from its presets: three FER+ teachers, then the student that ships
# (docs/model_card.md, "FER+"). About 75 minutes on a 2-core AVX-512 CPU. Each step resumes after an
# interruption (run the script again). Then ship it:
#   .venv/bin/python scripts/ship_weights.py runs/ferplus_vgg_s_distilled_swa/last.pt ferplus --int8 --data FERPLUS
#
#   scripts/rebuild_ferplus.sh [FERPLUS] [FER2013]    (defaults: ../shared/ferplus ../shared/fer2013)
set -eu
FERPLUS=${1:-../shared/ferplus}
FER2013=${2:-../shared/fer2013}

. "$(dirname "$0")/rebuild_runs.sh"  # train OUT [options]

train ferplus_vgg_s --preset ferplus_vgg_s
train ferplus_vgg_s_fer2013_labels --preset ferplus_vgg_s \
    --set "data.fer2013_labels_from=$FER2013" --set train.fer2013_label_weight=0.25
train ferplus_vgg_s_from_long_swa --preset ferplus_vgg_s --set train.init_from=vgg_s_distilled_long_swa
train ferplus_vgg_s_distilled_swa --preset ferplus_vgg_s_distilled_swa
