#!/usr/bin/env bash
# Builds the example dossier "U.S. Diplomacy with NATO and Russia" from real collections:
# three Milestones chapters (TEI) and the Visits by Foreign Leaders records (XML through
# mappings/visits.toml), each imported into its own collection, then the outline and its
# resolutions (this folder), which cite some of those records and name searches of both.
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

OH="Office of the Historian, U.S. Department of State"
# 1. The essays of three chapters, as research studies, into their own collection.
$DOSSIER import tei "$H/milestones/chapters/1945-1952.xml" \
    "$H/milestones/chapters/1989-1992.xml" "$H/milestones/chapters/1993-2000.xml" \
    --kind research-study --lang en --collection milestones \
    --collection-title "Milestones in the History of U.S. Foreign Relations" \
    --collection-source "$OH" --collection-url https://history.state.gov/milestones
# 2. Every visit (3,264 events), with visitors and countries, into theirs.
$DOSSIER import records "$H"/visits/data/*.xml --mapping mappings/visits.toml \
    --collection visits --collection-title "Visits by Foreign Leaders" \
    --collection-source "$OH" --collection-url https://history.state.gov/departmenthistory/visits
# 3. The outline, its references resolved to the records above; the dossier names
#    searches of the two collections (data.toml) instead of taking in every essay.
$DOSSIER import outline "$HERE/outline.txt" --curated "$HERE/data.toml"
echo "Done: serve with \`dossier serve\` and open /dossiers/us-nato-russia"
