#include "cli/audio_embed_command.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "audio/audio_files.h"
#include "audio/embedder.h"
#include "cli/progress_bar.h"
#include "data/csv_writer.h"
#include "data/error.h"

namespace segue::cli {
namespace {

// item_id = the file name without extension; two files with the same name would make one item twice.
std::vector<std::string> item_ids(const std::vector<std::string>& files) {
  std::map<std::string, std::string> seen;
  std::vector<std::string> ids;
  for (const std::string& file : files) {
    std::string id = audio::audio_item_id(file);
    if (auto [it, fresh] = seen.emplace(id, file); !fresh)
      throw UsageError("embed: " + it->second + " and " + file + " would both be item '" + id + "' (rename one)");
    ids.push_back(std::move(id));
  }
  return ids;
}

// item_id,emb_0..emb_{d-1}: numeric columns that `--items` reads. Written to a
// temp file renamed over `path`, so a failure never leaves half a CSV.
void write_embeddings_csv(const std::string& path, const audio::TrackEmbeddings& embeddings) {
  const std::vector<std::string> ids = item_ids(embeddings.files);
  std::string text = "item_id";
  for (int k = 0; k < embeddings.dim; ++k) text += ",emb_" + std::to_string(k);
  text += '\n';
  char number[32];
  for (std::size_t i = 0; i < ids.size(); ++i) {
    append_csv_field(text, ids[i]);
    for (int k = 0; k < embeddings.dim; ++k) {
      std::snprintf(number, sizeof number, ",%.6g", embeddings.values[i * static_cast<std::size_t>(embeddings.dim) + k]);
      text += number;
    }
    text += '\n';
  }
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary);
    out << text;
    if (!out.flush()) throw InputError(path, 0, "", "cannot write");
  }
  std::filesystem::rename(temp, path);
}

void add_train_embedding(CLI::App& audio) {
  struct Args {
    std::vector<std::string> inputs;
    std::string out, on_error = "fail";
    int epochs = 40, batch = 16, threads = 0;
    std::uint64_t seed = 42;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = audio.add_subcommand(
      "train-embedding", "Train the short-chunk CNN audio embedding on recordings (metric learning, no labels)");
  cmd->add_option("--input", args->inputs, "Audio files or directories (searched recursively)")->required();
  cmd->add_option("--out", args->out, "Model file to write")->required();
  cmd->add_option("--epochs", args->epochs, "Epochs: every track once as an anchor per epoch")->capture_default_str();
  cmd->add_option("--batch", args->batch, "Tracks per batch (two excerpts each)")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed for weights, excerpts and augmentations")->capture_default_str();
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)");
  cmd->add_option("--on-error", args->on_error, "fail, or skip files that do not decode (each named)")
      ->check(CLI::IsMember({"fail", "skip"}))
      ->capture_default_str();
  cmd->callback([args] {
    const audio::AudioEmbedder& embedder = audio::audio_embedder();
    ProgressBar bar("train-embedding");
    audio::EmbeddingTrainOptions options;
    options.inputs = args->inputs;
    options.out = args->out;
    options.epochs = args->epochs;
    options.batch_tracks = args->batch;
    options.seed = args->seed;
    options.skip_bad_files = args->on_error == "skip";
    options.report = [&bar](const std::string& line) { bar.note(line); };
    const audio::EmbeddingTrainSummary summary = embedder.train(options);
    bar.finish();
    for (const std::string& error : summary.skipped) std::printf("skipped: %s\n", error.c_str());
    std::printf("trained the audio CNN on %lld tracks (%.0f s of audio), %d epochs, final loss %.4f, in %.1f s -> %s\n",
                static_cast<long long>(summary.tracks), summary.audio_seconds, summary.epochs, summary.final_loss,
                summary.seconds, args->out.c_str());
  });
}

void add_embed(CLI::App& audio) {
  struct Args {
    std::vector<std::string> inputs;
    std::string model, out;
    int threads = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = audio.add_subcommand("embed", "Embed audio files with a trained CNN: one row of numbers per file");
  cmd->add_option("--model", args->model, "Model file from `segue audio train-embedding`")->required();
  cmd->add_option("--input", args->inputs, "Audio files or directories (searched recursively)")->required();
  cmd->add_option("--out", args->out, "CSV to write: item_id,emb_0,...,emb_{d-1} (for --items)")->required();
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)");
  cmd->callback([args] {
    const audio::TrackEmbeddings embeddings = audio::audio_embedder().embed(args->model, args->inputs);
    write_embeddings_csv(args->out, embeddings);
    std::printf("embedded %zu files (%.0f s of audio) into %d dimensions at %.0fx real time -> %s\n",
                embeddings.files.size(), embeddings.audio_seconds, embeddings.dim,
                embeddings.embed_seconds > 0 ? embeddings.audio_seconds / embeddings.embed_seconds : 0.0,
                args->out.c_str());
  });
}

}  // namespace

void add_audio_embed_commands(CLI::App& audio) {
  add_train_embedding(audio);
  add_embed(audio);
}

}  // namespace segue::cli
