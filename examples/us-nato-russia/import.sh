#!/usr/bin/env bash
# Builds the example dossier "U.S. Diplomacy with NATO and Russia" from real collections:
# the outline and its resolutions (this folder), three Milestones chapters (TEI) and the
# Visits by Foreign Leaders records (XML through mappings/visits.toml).
#
#   examples/us-nato-russia/import.sh            # from the repository root
#   DOSSIER="dossier --data-dir my-data" CORPORA=path/to/corpora examples/us-nato-russia/import.sh
#
# Safe to run again: every step reports "0 new, 0 changed" the second time.
set -euo pipefail
cd "$(dirname "$0")/../.."
DOSSIER=${DOSSIER:-"cargo run --release --quiet --"}
CORPORA=${CORPORA:-../shared/corpora}
H="$CORPORA/historyatstate"
HERE=examples/us-nato-russia

# 1. The outline, so that the essays have a dossier to join.
$DOSSIER import outline "$HERE/outline.txt" --slug us-nato-russia
# 2. The essays of three chapters, as research studies of the dossier.
$DOSSIER import tei "$H/milestones/chapters/1945-1952.xml" \
    "$H/milestones/chapters/1989-1992.xml" "$H/milestones/chapters/1993-2000.xml" \
    --dossier us-nato-russia --kind research-study
# 3. Every visit (3,264 events), with visitors and countries.
$DOSSIER import records "$H"/visits/data/*.xml --mapping mappings/visits.toml
# 4. The outline again, its references resolved to the records above.
$DOSSIER import outline "$HERE/outline.txt" --curated "$HERE/data.toml"
echo "Done: serve with \`dossier serve\` and open /dossiers/us-nato-russia"
