// RFC-4180 CSV/TSV reader over a TextSource: quoted fields (with "" escapes and
// embedded newlines), CRLF, a UTF-8 BOM, and physical line numbers for errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "data/error.h"
#include "data/text_source.h"

namespace segue {

struct CsvOptions {
  char delimiter = 0;   // 0: tab if the header line has a tab, else ','
  bool header = true;   // false: columns are named "1", "2", ...
  bool quotes = true;   // false: '"' is an ordinary character (e.g. Last.fm .dat files)
};

class CsvReader {
 public:
  // Opens and checks the file: missing, empty (no header) or invalid UTF-8
  // files throw InputError naming the file and line.
  explicit CsvReader(const std::string& path, CsvOptions options = {});

  const std::string& path() const { return source_.path(); }
  char delimiter() const { return delimiter_; }
  const std::vector<std::string>& header() const { return header_; }
  int column(std::string_view name) const;  // -1 if absent
  // Like column(), but a missing column is an error that names the option.
  int require_column(std::string_view name, std::string_view option) const;

  // Advances to the next record; false at end of file. Blank lines are skipped.
  // An unterminated quote throws InputError at the line where it opened.
  bool next();
  std::size_t line() const { return line_; }  // physical line where the record starts
  std::size_t offset() const { return pos_; }  // bytes consumed so far
  std::size_t bytes() const { return source_.text().size(); }
  std::size_t size() const { return fields_.size(); }
  std::string_view field(std::size_t i) const;

  // Throws unless the record has exactly as many fields as the header.
  void expect_width() const;

  // Typed access; each error names file, line, column and what was expected.
  InputError error(int column, const std::string& what) const;
  std::string_view text(int column) const;      // any string (may be empty)
  std::string_view id(int column) const;        // non-empty, at most kMaxIdBytes
  static constexpr std::size_t kMaxIdBytes = 65536;
  double number(int column) const;              // finite
  std::int64_t integer(int column) const;
  float weight(int column) const;               // finite and >= 0
  std::string column_name(int column) const;

 private:
  struct Span {
    std::size_t begin;  // 64-bit: a record may be longer than 4 GiB (a 32-bit offset would wrap silently)
    std::size_t size;
    bool scratch;  // unescaped copy lives in scratch_
  };
  bool parse_record();

  TextSource source_;
  char delimiter_ = ',';
  bool quotes_ = true;
  std::vector<std::string> header_;
  std::size_t pos_ = 0;
  std::size_t cursor_line_ = 1;  // physical line at pos_
  std::size_t line_ = 0;
  std::vector<Span> fields_;
  std::string scratch_;
  const char* base_ = nullptr;
};

// Parses numbers the way every importer must: whole field, finite, no junk.
bool parse_double(std::string_view text, double& out);
bool parse_int64(std::string_view text, std::int64_t& out);

}  // namespace segue
