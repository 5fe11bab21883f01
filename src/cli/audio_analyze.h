// `segue audio analyze` (src/cli/audio_analyze.cc), also callable from tests.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "data/error.h"

namespace segue::cli {

struct AnalyzeArgs {
  std::vector<std::string> inputs;
  std::string out, ids, details;
  double max_seconds = 3600.0;
  OnError on_error = OnError::kFail;
  int threads = 0;
};

struct AnalyzeSummary {
  std::size_t files = 0, rows = 0, skipped = 0;
  std::vector<std::string> first_errors;
};

AnalyzeSummary run_audio_analyze(const AnalyzeArgs& args);
void add_audio_analyze_command(CLI::App& audio);

}  // namespace segue::cli
