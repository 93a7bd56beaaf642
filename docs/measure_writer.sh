#!/usr/bin/env bash
# Every figure a new synthesis model is judged by before it is shipped (docs/recognizer.md,
# docs/synthesis.md), one JSON file each in OUT, read by the recogniser given:
#
#   bash docs/measure_writer.sh MODEL_DIR OUT [RECOGNIZER_DIR]    # IAM_ONDB, UNIPEN: the NLLs
#
# - sentences_default / sentences_one: docs/sentences.txt, 4 rounds (400 lines) in hand-1 at
#   bias 0.75, the best of 2 tries (the page's default) and one try;
# - characters_default / characters_one: docs/characters.txt (the rarest capitals, digits
#   and marks), 2 rounds, the same two ways;
# - lost_bias_0.5 / lost_bias_2: the 400 lines at bias 0.5 and 2, in the model's own hand, one
#   try: how many end by the point budget rather than the stop rule;
# - pages: docs/page.txt as one page on 10 seeds in hand-1 at the page's default;
# - nll_synthesis, nll_free: the validation lines' NLL (raw nats a point), beside the
#   free-writing model's on the same lines (--paired), when IAM_ONDB says where the data is;
# - unipen_XZQ, unipen_0123456789: the NLL (model units) of 100 lines of those characters by
#   UNIPEN's held-out writers (evaluate.py --unipen --chars), when UNIPEN says where it is:
#   whether the writer learnt their shapes, whatever a reader makes of its writing.
# Each takes minutes on two cores; all of them about an hour.
set -euo pipefail
model="${1:?give the folder of the synthesis model}"
out="${2:?give a folder for the figures}"
reader="${3:-save/recognizer}"
cd "$(dirname "$0")/.."
mkdir -p "$out"
sentences() {  # NAME FILE ROUNDS FLAGS...
    local name="$1" file="$2" rounds="$3"
    shift 3
    python evaluate.py --model_dir "$model" --recognizer_dir "$reader" --sentences "$file" \
        --rounds "$rounds" --json "$@" > "$out/$name.json"
    echo "wrote $out/$name.json"
}
sentences sentences_default docs/sentences.txt 4 --style hand-1 --bias 0.75 --tries 2
sentences sentences_one docs/sentences.txt 4 --style hand-1 --bias 0.75 --tries 1
sentences characters_default docs/characters.txt 2 --style hand-1 --bias 0.75 --tries 2
sentences characters_one docs/characters.txt 2 --style hand-1 --bias 0.75 --tries 1
sentences lost_bias_0.5 docs/sentences.txt 4 --bias 0.5
sentences lost_bias_2 docs/sentences.txt 4 --bias 2
sentences pages docs/page.txt 1 --pages 10 --style hand-1 --bias 0.75 --tries 2
if [ -n "${IAM_ONDB:-}" ]; then  # as docs/synthesis.md scores the two, on the same lines
    python evaluate.py --model_dir "$model" --data_dir "$IAM_ONDB" --split valid --json \
        > "$out/nll_synthesis.json"
    python evaluate.py --model_dir save --data_dir "$IAM_ONDB" --split valid --paired --json \
        > "$out/nll_free.json"
    echo "wrote $out/nll_synthesis.json and $out/nll_free.json"
fi
if [ -n "${UNIPEN:-}" ]; then  # the same lines for every writer: seed 0, these characters
    for chars in XZQ 0123456789; do
        python evaluate.py --model_dir "$model" --unipen "$UNIPEN" --lines 100 \
            --chars "$chars" --json > "$out/unipen_$chars.json"
        echo "wrote $out/unipen_$chars.json"
    done
fi
