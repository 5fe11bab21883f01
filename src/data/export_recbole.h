// Writes a Dataset as RecBole atomic files, so RecBole's model zoo can be run on
// exactly the data segue imported (and import_recbole reads them back).
#pragma once

#include <string>

#include "data/dataset.h"
#include "data/error.h"  // UsageError, thrown for a bad NAME

namespace segue {

// Writes DIR/NAME.inter, plus DIR/NAME.item and DIR/NAME.user when needed (see
// below); DIR is created if missing; each file is written to NAME.ext.tmp and
// renamed into place, so a failed export never leaves a half-written file.
//
// NAME.inter: user_id:token, item_id:token, then only the arrays the dataset has:
//   weight:float, timestamp:float (unix seconds), event:token (event type name),
//   session_id:token, position:float, and each context column as name:float
//   (numeric) or name:token (categorical). Events are in CSR order (by user,
//   import order within a user). Missing values are empty fields.
// NAME.item / NAME.user: the id, string columns as name:token, numeric columns as
//   name:float, item tags as tags:token_seq. Written when there are attributes, or
//   when some ids would not survive the round trip otherwise (an id without
//   events, or items whose first use in .inter is not in id order), so a re-import
//   gives the same dense ids.
//
// RecBole files are unquoted TSV, so a tab, newline or carriage return inside an
// id, value or column name is REJECTED (std::invalid_argument naming the file,
// column and row id) rather than escaped: RecBole would read an escape verbatim.
// Lossy on purpose: a space inside a tag becomes '_' (token_seq splits on spaces)
// and tag counts are not written. Throws UsageError for an unusable NAME and
// std::runtime_error when a file cannot be written.
void export_recbole(const Dataset& dataset, const std::string& dir, const std::string& name);

}  // namespace segue
