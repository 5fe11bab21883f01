#include "data/csv_reader.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace segue {
namespace {

std::string_view trim_spaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ')) text.remove_suffix(1);
  return text;
}

}  // namespace

bool parse_double(std::string_view text, double& out) {
  text = trim_spaces(text);
  if (text.empty()) return false;
  if (text.front() == '+') text.remove_prefix(1);
  const auto result = std::from_chars(text.data(), text.data() + text.size(), out);
  return result.ec == std::errc() && result.ptr == text.data() + text.size() && std::isfinite(out);
}

bool parse_int64(std::string_view text, std::int64_t& out) {
  text = trim_spaces(text);
  if (text.empty()) return false;
  if (text.front() == '+') text.remove_prefix(1);
  const auto result = std::from_chars(text.data(), text.data() + text.size(), out);
  return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

CsvReader::CsvReader(const std::string& path, CsvOptions options)
    : source_(TextSource::open(path)), quotes_(options.quotes) {
  std::string_view text = source_.text();
  if (text.size() >= 3 && std::memcmp(text.data(), "\xEF\xBB\xBF", 3) == 0) pos_ = 3;
  const std::size_t bad = find_invalid_utf8(text);
  if (bad != std::string_view::npos) {
    const std::size_t line = line_of_offset(text, bad);
    throw InputError(path, line, "", "invalid UTF-8 (byte offset " + std::to_string(bad) + ")");
  }
  // A NUL byte is valid UTF-8 but no text field holds one (a binary or UTF-16 file does).
  // (An empty file's text has no data pointer: memchr must not see it.)
  if (const void* nul = text.empty() ? nullptr : std::memchr(text.data(), '\0', text.size()); nul != nullptr) {
    const auto offset = static_cast<std::size_t>(static_cast<const char*>(nul) - text.data());
    throw InputError(path, line_of_offset(text, offset), "",
                     "a NUL byte (byte offset " + std::to_string(offset) + "): not a text file? (UTF-16 and binary "
                     "files are not read)");
  }
  std::size_t first_end = text.find('\n', pos_);
  std::string_view first_line = text.substr(pos_, first_end == std::string_view::npos ? text.npos : first_end - pos_);
  delimiter_ = options.delimiter != 0 ? options.delimiter : (first_line.find('\t') != first_line.npos ? '\t' : ',');
  if (!options.header) return;
  if (!next()) throw InputError(path, 1, "", "empty file: expected a header line");
  for (std::size_t i = 0; i < size(); ++i) {
    std::string name(trim_spaces(field(i)));
    if (name.empty()) throw InputError(path, line_, "", "header column " + std::to_string(i + 1) + " has no name");
    header_.push_back(std::move(name));
  }
}

int CsvReader::column(std::string_view name) const {
  for (std::size_t i = 0; i < header_.size(); ++i)
    if (header_[i] == name) return static_cast<int>(i);
  return -1;
}

int CsvReader::require_column(std::string_view name, std::string_view option) const {
  const int index = column(name);
  if (index >= 0) return index;
  std::string have;
  for (const auto& h : header_) have += (have.empty() ? "" : ", ") + h;
  throw InputError(path(), 1, std::string(name),
                   "no such column (" + std::string(option) + "); the header has: " + have);
}

bool CsvReader::next() {
  std::string_view text = source_.text();
  while (pos_ < text.size()) {
    // Skip blank lines (including a lone "\r").
    if (text[pos_] == '\n') {
      ++pos_;
      ++cursor_line_;
      continue;
    }
    if (text[pos_] == '\r' && (pos_ + 1 == text.size() || text[pos_ + 1] == '\n')) {
      ++pos_;
      continue;
    }
    return parse_record();
  }
  return false;
}

bool CsvReader::parse_record() {
  std::string_view text = source_.text();
  const std::size_t n = text.size();
  const char* data = text.data();
  line_ = cursor_line_;
  base_ = data + pos_;
  fields_.clear();
  scratch_.clear();
  const char delimiter = delimiter_;
  while (true) {
    std::size_t start = pos_;
    if (quotes_ && pos_ < n && data[pos_] == '"') {
      // Quoted field: copy unescaped bytes into scratch_.
      const std::size_t open_line = cursor_line_;
      const std::size_t scratch_begin = scratch_.size();
      ++pos_;
      while (true) {
        const void* hit = pos_ < n ? std::memchr(data + pos_, '"', n - pos_) : nullptr;
        if (hit == nullptr)
          throw InputError(path(), open_line, "", "unterminated quoted field (the quote opened here is never closed)");
        const std::size_t q = static_cast<const char*>(hit) - data;
        for (std::size_t k = pos_; k < q; ++k) cursor_line_ += data[k] == '\n';
        scratch_.append(data + pos_, q - pos_);
        pos_ = q + 1;
        if (pos_ < n && data[pos_] == '"') {
          scratch_.push_back('"');
          ++pos_;
          continue;
        }
        break;
      }
      fields_.push_back({scratch_begin, scratch_.size() - scratch_begin, true});
      // After the closing quote: delimiter, end of line, or junk (kept literally, as most readers do).
      // A lone '\r' is junk too, as in an unquoted field: only "\r\n" (or "\r" at the end) ends the record,
      // so a record never starts on the line where the previous one ended.
      while (pos_ < n && data[pos_] != delimiter && data[pos_] != '\n' &&
             !(data[pos_] == '\r' && (pos_ + 1 == n || data[pos_ + 1] == '\n'))) {
        scratch_.push_back(data[pos_]);
        ++fields_.back().size;
        ++pos_;
      }
    } else {
      while (pos_ < n && data[pos_] != delimiter && data[pos_] != '\n') ++pos_;
      std::size_t end = pos_;
      if ((pos_ == n || data[pos_] == '\n') && end > start && data[end - 1] == '\r') --end;
      fields_.push_back({start - static_cast<std::size_t>(base_ - data), end - start, false});
    }
    if (pos_ >= n) return true;
    if (data[pos_] == delimiter) {
      ++pos_;
      continue;
    }
    if (data[pos_] == '\r') ++pos_;
    if (pos_ < n && data[pos_] == '\n') {
      ++pos_;
      ++cursor_line_;
    }
    return true;
  }
}

std::string_view CsvReader::field(std::size_t i) const {
  const Span& span = fields_[i];
  return span.scratch ? std::string_view(scratch_.data() + span.begin, span.size)
                      : std::string_view(base_ + span.begin, span.size);
}

void CsvReader::expect_width() const {
  if (header_.empty() || fields_.size() == header_.size()) return;
  throw InputError(path(), line_, "",
                   "expected " + std::to_string(header_.size()) + " fields (as in the header), found " +
                       std::to_string(fields_.size()));
}

std::string CsvReader::column_name(int column) const {
  if (column >= 0 && static_cast<std::size_t>(column) < header_.size()) return header_[column];
  return "column " + std::to_string(column + 1);
}

InputError CsvReader::error(int column, const std::string& what) const {
  return InputError(path(), line_, column_name(column), what);
}

std::string_view CsvReader::text(int column) const {
  if (column < 0 || static_cast<std::size_t>(column) >= fields_.size())
    throw error(column, "missing (the line has only " + std::to_string(fields_.size()) + " fields)");
  return field(column);
}

std::string_view CsvReader::id(int column) const {
  std::string_view value = text(column);
  if (value.empty()) throw error(column, "empty id");
  if (value.size() > kMaxIdBytes)
    throw error(column, "an id of " + std::to_string(value.size()) + " bytes; ids are at most " +
                            std::to_string(kMaxIdBytes) + " (a misplaced quote or delimiter?)");
  return value;
}

double CsvReader::number(int column) const {
  std::string_view value = text(column);
  double out = 0;
  if (!parse_double(value, out)) throw error(column, "expected a finite number, got '" + std::string(value) + "'");
  return out;
}

std::int64_t CsvReader::integer(int column) const {
  std::string_view value = text(column);
  std::int64_t out = 0;
  if (!parse_int64(value, out)) throw error(column, "expected an integer, got '" + std::string(value) + "'");
  return out;
}

float CsvReader::weight(int column) const {
  std::string_view value = text(column);
  double out = 0;
  if (!parse_double(value, out))
    throw error(column, "expected a finite, non-negative weight, got '" + std::string(value) + "'");
  if (out < 0) throw error(column, "expected a non-negative weight, got '" + std::string(value) + "'");
  if (out > 3.4e38) throw error(column, "weight too large for float32: '" + std::string(value) + "'");
  return static_cast<float>(out) + 0.0f;  // -0 becomes 0: a sign on a zero weight would show up in every output
}

}  // namespace segue
