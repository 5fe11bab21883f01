#include "data/error.h"

namespace segue {
namespace {

std::string format_location(const std::string& file, std::size_t line, const std::string& field,
                            const std::string& what) {
  // Built with append: GCC 12 warns falsely (-Wrestrict) on chained operator+.
  std::string out;
  out.append(file.empty() ? "<input>" : file);
  if (line > 0) out.append(":").append(std::to_string(line));
  out.append(": ");
  if (!field.empty()) out.append("field '").append(field).append("': ");
  out.append(what);
  return out;
}

}  // namespace

InputError::InputError(std::string file, std::size_t line, std::string field, std::string what)
    : std::runtime_error(format_location(file, line, field, what)),
      file_(std::move(file)),
      line_(line),
      field_(std::move(field)),
      reason_(std::move(what)) {}

OnError parse_on_error(std::string_view text) {
  if (text == "fail") return OnError::kFail;
  if (text == "skip") return OnError::kSkip;
  throw UsageError("--on-error: expected 'fail' or 'skip', got '" + std::string(text) + "'");
}

void IssueLog::report(const InputError& error) {
  if (mode_ == OnError::kFail) throw error;
  ++skipped_;
  if (first_.size() < kKeptMessages) first_.push_back(error.what());
}

std::string IssueLog::summary() const {
  if (skipped_ == 0) return {};
  std::string out = "skipped " + std::to_string(skipped_) + " bad line" + (skipped_ == 1 ? "" : "s");
  for (const auto& message : first_) out += "\n  " + message;
  if (skipped_ > first_.size()) out += "\n  ...";
  return out;
}

}  // namespace segue
