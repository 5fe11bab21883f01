// Cell rules shared by the item and user feature readers: trimming, missing
// and infinite numbers, "token:count" pairs (docs/FEATURES.md).
#pragma once

#include <string_view>
#include <utility>

#include "data/csv_reader.h"

namespace segue {

std::string_view trim_cell(std::string_view s);  // spaces and tabs at both ends
bool is_nan_text(std::string_view s);            // nan, -nan, +nan in any case
bool is_inf_text(std::string_view s);            // inf, infinity with any sign, any case
// Empty, a number, NaN or ±inf: a cell a numeric column may hold.
bool number_like(std::string_view text);
// A cell of a numeric column: true and `out` set for a number, false for a
// missing value (empty, NaN); InputError naming the cell for ±inf or anything else.
bool numeric_cell(const CsvReader& csv, int column, double& out);
// A cell of the audio columns `key` and `mode`: a number as numeric_cell, or
// what `segue audio analyze` writes — a pitch class name (C, C#, Db, … B → 0..11)
// and major / minor (→ 1 / 0, Spotify's convention). Other columns: numeric_cell.
bool audio_cell(const CsvReader& csv, int column, std::string_view column_name, double& out);
// "rock:12" -> ("rock", 12); anything else -> (token, 1).
std::pair<std::string_view, double> token_and_count(std::string_view token);

}  // namespace segue
