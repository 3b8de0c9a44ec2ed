#!/bin/sh
# Rebuild the default model, `general`: the fine-tune of the FER2013 model on all three sets' labels
# (preset general_vgg_s, taught by wild_nohead), then 30% of its weights and 70% of the FER2013
# model's (vgg_s_distilled_gen3_swa) with batch-norm statistics measured again, calibrated on the
# held-out tenths (docs/model_card.md, "Between fer2013 and general in weight space"). About 50
# minutes on a 2-core AVX-512 CPU once the FER+ runs of scripts/rebuild_ferplus.sh exist (it runs
# them first). Each training step resumes after an interruption (run the script again).
#
#   scripts/rebuild_general.sh [FERPLUS] [FER2013] [RAFDB]   (defaults: ../shared/ferplus ../shared/fer2013 ../shared/rafdb)
set -eu
FERPLUS=${1:-../shared/ferplus}
FER2013=${2:-../shared/fer2013}
RAFDB=${3:-../shared/rafdb}
PYTHON=${PYTHON:-.venv/bin/python}

"$(dirname "$0")/rebuild_ferplus.sh" "$FERPLUS" "$FER2013"

. "$(dirname "$0")/rebuild_runs.sh"  # train OUT [options]

joined="data.joint_with=[\"$RAFDB\"]"
train wild_nohead --preset wild_nohead --set "$joined"
train general_vgg_s --preset general_vgg_s --set "$joined" --set "data.fer2013_labels_from=$FER2013"

"$PYTHON" scripts/interpolate_weights.py vgg_s_distilled_gen3_swa runs/general_vgg_s/last.pt --alphas 0.3 \
    --measure-bn "$FERPLUS" --out-dir runs/general_interpolated
"$MIEN" calibrate runs/general_interpolated/alpha_0.30_bn.pt --data "$FERPLUS" --data "$RAFDB" --split holdout \
    --no-tta --no-class-bias --out runs/general_interpolated/calibrated.pt
"$PYTHON" scripts/ship_weights.py runs/general_interpolated/calibrated.pt general --int8 --data "$FERPLUS" --fp16-weights
