#!/usr/bin/env bash
# Runs the property tests of the parsers that take hostile input with many more cases
# than `cargo test` does (256 each there): the query parser, EDTF dates, the address rule,
# Markdown commentary links, the XML guards, the outline parser, the mapping reader and
# the YAML pre-scan. A bounded hunt for panics, hangs and limits that do not hold.
#
#   scripts/fuzz.sh            # 20,000 cases per property
#   CASES=200000 scripts/fuzz.sh
#
# A failure prints the smallest input proptest found; it also saves the seed in a
# proptest-regressions/ file beside the test, so the next `cargo test` tries it first
# (commit that file with the fix).
set -euo pipefail
cd "$(dirname "$0")/.."
export PROPTEST_CASES="${CASES:-20000}"
echo "property tests with $PROPTEST_CASES cases each"
cargo test \
  -p dossier-model -p dossier-search -p dossier-ingest -p dossier-publish --lib -- \
  accepted_means_http_for_a_browser \
  parsing_any_text_never_panics printed_dates_parse_back the_order_is_total_and_follows_the_earliest_day \
  every_written_href_passes_the_rule \
  well_formed_queries_are_refused_only_past_a_limit parse_is_bounded_and_never_panics \
  arbitrary_bytes_never_panic accepted_documents_keep_to_the_limits truncated_and_mismatched_files_are_refused \
  any_bytes_never_panic heading_like_text_never_panics_and_stays_within_the_limit \
  the_mapping_reader_never_panics_and_accepts_only_sound_mappings the_shipped_mapping_with_any_one_value_changed \
  accepted_text_never_reaches_the_parsers_recursion_limit the_scan_never_panics
