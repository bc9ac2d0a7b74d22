//! Authority control (issue 28): every body, person, document and event of the archive by
//! its names (name or title, acronyms, aliases) and external identifiers, held in memory
//! so that reconciliation (the W3C Reconciliation Service API at `/reconcile`, and
//! reconciliation at import) and the search for likely duplicates answer without a store
//! read per query.
