// The importer targets' common body: write the parts of the input as the
// files of one format, import them in the mode the input's length picks, and
// check what comes out. A refusal must be a segue error naming its file; an
// accepted input must give a dataset whose invariants hold (Dataset::validate
// throws std::invalid_argument otherwise, which escapes as a finding).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "data/importer.h"
#include "fuzz/fuzz_input.h"

namespace segue::fuzz {

struct FileSpec {
  std::string name;  // relative to the scratch directory; ".gz" is appended to gzip bytes
  bool optional;     // an empty part is not written (the importer sees the file as absent)
};

// Writes the input's parts as `files` and imports `target` (relative to the scratch directory, "" = the
// directory itself) with `format`.
inline void import_parts(std::string_view input, std::string_view format, const std::vector<FileSpec>& files,
                         const std::string& target, ImportOptions options = {}) {
  clear_scratch();
  const OnError mode = mode_for(input);
  const std::vector<std::string_view> parts = split_parts(input, files.size());
  std::string target_path = scratch_dir() + (target.empty() ? "" : "/" + target);
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (files[i].optional && parts[i].empty()) continue;
    const bool gz = looks_gzipped(parts[i]);
    const std::string written = write_file(files[i].name + (gz ? ".gz" : ""), parts[i]);
    if (gz && files[i].name == target) target_path = written;
  }
  options.threads = 1;
  IssueLog issues(mode);
  try {
    const Dataset dataset = import_dataset(format, target_path, options, issues);
    dataset.validate();
  } catch (const InputError& error) {
    expect_named(error);
  } catch (const UsageError&) {
  }
}

}  // namespace segue::fuzz
