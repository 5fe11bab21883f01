// `segue audio analyze`: descriptors of audio files, one items-CSV row per
// file, files analysed in parallel (one file per thread: the per-file work is
// sequential and short), rows written in input order.
#include "cli/audio_analyze.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>

#include "audio/analysis.h"
#include "audio/audio_files.h"
#include "cli/progress_bar.h"
#include "data/error.h"
#include "util/thread_pool.h"

namespace segue::cli {

namespace {

// item ids from --ids (columns file,item_id; `file` matched as given or by its
// name without the extension), else the file name without the extension.
std::vector<std::string> item_ids(const std::vector<std::string>& files, const std::string& mapping) {
  std::map<std::string, std::string> by_key;
  if (!mapping.empty()) {
    std::ifstream in(mapping);
    if (!in) throw InputError(mapping, 0, "", "cannot open");
    std::string line;
    std::size_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (number == 1) {
        if (line != "file,item_id") throw InputError(mapping, 1, "", "expected the header 'file,item_id'");
        continue;
      }
      if (line.empty()) continue;
      const std::size_t comma = line.find(',');
      if (comma == std::string::npos || comma == 0 || comma + 1 == line.size())
        throw InputError(mapping, number, "", "expected 'file,item_id'");
      if (!by_key.emplace(line.substr(0, comma), line.substr(comma + 1)).second)
        throw InputError(mapping, number, "file", "'" + line.substr(0, comma) + "' is listed twice");
    }
  }
  std::vector<std::string> ids;
  std::map<std::string, std::string> first_file;
  for (const std::string& file : files) {
    std::string id = audio::audio_item_id(file);
    if (!by_key.empty()) {
      auto at = by_key.find(file);
      if (at == by_key.end()) at = by_key.find(id);
      if (at == by_key.end()) throw InputError(mapping, 0, "file", "no item_id for '" + file + "'");
      id = at->second;
    }
    if (const auto [it, inserted] = first_file.emplace(id, file); !inserted)
      throw InputError(file, 0, "item_id", "item id '" + id + "' is also that of " + it->second +
                                                " (rename one, or give --ids file,item_id)");
    ids.push_back(std::move(id));
  }
  return ids;
}

}  // namespace

AnalyzeSummary run_audio_analyze(const AnalyzeArgs& args) {
  const std::vector<std::string> files = audio::list_audio_files(args.inputs);
  const std::vector<std::string> ids = item_ids(files, args.ids);
  if (!args.details.empty()) std::filesystem::create_directories(args.details);
  audio::AnalyzeOptions options;
  options.decode.max_seconds = args.max_seconds;
  // Rows and errors per file, filled by whichever thread analyses it.
  std::vector<std::string> rows(files.size());
  std::vector<std::exception_ptr> errors(files.size());  // bad input only: other exceptions end the run
  std::atomic<std::size_t> done{0};
  std::atomic<bool> failed{false};
  ProgressBar bar("analyze");
  std::mutex bar_mutex;
  default_thread_pool().parallel_for(0, static_cast<std::int64_t>(files.size()), 1, [&](std::int64_t begin, std::int64_t end, int) {
    for (std::int64_t f = begin; f < end; ++f) {
      if (failed && args.on_error == OnError::kFail) return;
      const std::size_t k = static_cast<std::size_t>(f);
      try {
        audio::TrackAnalysis track = audio::analyze_audio(audio::read_audio(files[k], options.decode), options);
        track.item_id = ids[k];
        rows[k] = audio::analysis_row(track);
        if (!args.details.empty()) audio::write_analysis_details(track, args.details);
      } catch (const InputError&) {
        errors[k] = std::current_exception();
        failed = true;
      }
      const std::size_t finished = ++done;
      std::lock_guard<std::mutex> lock(bar_mutex);
      bar.update(static_cast<double>(finished) / static_cast<double>(files.size()), std::to_string(finished) + "/" + std::to_string(files.size()) + " files");
    }
  });
  bar.finish();
  AnalyzeSummary summary;
  summary.files = files.size();
  for (std::size_t k = 0; k < files.size(); ++k) {
    if (!errors[k]) continue;
    if (args.on_error == OnError::kFail) std::rethrow_exception(errors[k]);
    ++summary.skipped;
    try {
      std::rethrow_exception(errors[k]);
    } catch (const InputError& e) {
      if (summary.first_errors.size() < 5) summary.first_errors.push_back(e.what());
    }
  }
  // Written whole to a temporary file, then renamed: a reader never sees half a file.
  const std::string temporary = args.out + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary);
    if (!out) throw InputError(args.out, 0, "", "cannot write");
    const auto columns = audio::analysis_columns();
    for (std::size_t c = 0; c < columns.size(); ++c) out << (c ? "," : "") << columns[c];
    out << '\n';
    for (const std::string& row : rows)
      if (!row.empty()) out << row << '\n', ++summary.rows;
    out.flush();
    if (!out) throw InputError(args.out, 0, "", "write failed");
  }
  std::filesystem::rename(temporary, args.out);
  return summary;
}

void add_audio_analyze_command(CLI::App& audio) {
  auto args = std::make_shared<AnalyzeArgs>();
  auto on_error = std::make_shared<std::string>("fail");
  CLI::App* cmd = audio.add_subcommand("analyze", "Tempo, beats, loudness, key, chords, timbre and perceptual scores of audio files");
  cmd->add_option("--input", args->inputs, "Audio files or directories (searched recursively): WAV, FLAC, Ogg, Opus, MP3, AIFF")
      ->required();
  cmd->add_option("--out", args->out, "Items CSV to write (one row per file; item_id = file name without extension)")->required();
  cmd->add_option("--ids", args->ids, "CSV with header file,item_id mapping files (path or name without extension) to item ids");
  cmd->add_option("--details", args->details, "Directory for per-track beats (ID.beats.txt) and chords (ID.chords.lab)");
  cmd->add_option("--max-seconds", args->max_seconds, "Longest file accepted (seconds)")->capture_default_str();
  cmd->add_option("--on-error", *on_error, "fail: stop at the first bad file; skip: leave it out and count it")
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "Files analysed at once (0 = all cores)");
  cmd->callback([args, on_error] {
    args->on_error = parse_on_error(*on_error);
    const AnalyzeSummary summary = run_audio_analyze(*args);
    std::printf("%zu of %zu files analysed -> %s\n", summary.rows, summary.files, args->out.c_str());
    if (summary.skipped > 0) {
      std::printf("skipped %zu files that could not be analysed; first:\n", summary.skipped);
      for (const std::string& e : summary.first_errors) std::printf("  %s\n", e.c_str());
    }
  });
}

}  // namespace segue::cli
