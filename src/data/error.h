// Errors for bad input: every message names the file, the line and the field,
// and what was expected; `IssueLog` implements the --on-error fail|skip policy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace segue {

// A problem with the user's input, located as precisely as we know it.
// line is physical (header = 1); 0 means "not line-based" (e.g. a binary file).
class InputError : public std::runtime_error {
 public:
  InputError(std::string file, std::size_t line, std::string field, std::string what);

  const std::string& file() const { return file_; }
  std::size_t line() const { return line_; }
  const std::string& field() const { return field_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string file_;
  std::size_t line_;
  std::string field_;
  std::string reason_;
};

// A wrong argument or option (spec strings, CLI values): names the argument.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class OnError { kFail, kSkip };

OnError parse_on_error(std::string_view text);  // "fail" | "skip"

// Collects bad lines under --on-error skip (never silently: the count and the
// first few messages are kept for the summary); rethrows under fail.
class IssueLog {
 public:
  explicit IssueLog(OnError mode = OnError::kFail) : mode_(mode) {}

  // Throws `error` under kFail; records it under kSkip.
  void report(const InputError& error);

  OnError mode() const { return mode_; }
  std::size_t skipped() const { return skipped_; }
  const std::vector<std::string>& first_messages() const { return first_; }
  std::string summary() const;  // "skipped N bad lines; first: ..." or ""

  // Things the user should know that are not errors ("ignored 12 tag rows for
  // unknown artists"); printed by the CLI after an import.
  void note(std::string message) { notes_.push_back(std::move(message)); }
  const std::vector<std::string>& notes() const { return notes_; }

  static constexpr std::size_t kKeptMessages = 5;

 private:
  OnError mode_;
  std::size_t skipped_ = 0;
  std::vector<std::string> first_;
  std::vector<std::string> notes_;
};

}  // namespace segue
