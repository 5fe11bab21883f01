#include "deep/audio_embedding.h"

#include <chrono>
#include <cstdio>
#include <numeric>
#include <stdexcept>

#include "data/error.h"
#include "deep/audio_tracks.h"
#include "util/rng.h"
#include "util/thread_pool.h"

namespace segue::audio {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Training holds every track in memory: two minutes from the middle of each.
constexpr double kTrainSecondsPerTrack = 120.0;

// 2·batch augmented log-mel chunks: view A of each track, then view B. Each
// excerpt draws from its own generator (seed, step, slot), so the batch does
// not depend on the thread count.
torch::Tensor make_batch(const std::vector<std::vector<float>>& tracks, std::span<const std::size_t> batch,
                         const AudioCnnTraining& options, const LogMel& log_mel, std::uint64_t step) {
  const AudioCnnConfig& c = options.config;
  const auto n = static_cast<std::int64_t>(batch.size());
  torch::Tensor out = torch::empty({2 * n, 1, c.n_mels, c.chunk_frames()});
  // Room for the slowest speed's longer source span.
  const auto span = static_cast<std::int64_t>(static_cast<double>(c.chunk_samples) * (1.0 + options.augment.max_speed)) + 64;
  parallel_for(0, 2 * n, 1, [&](std::int64_t begin, std::int64_t end, int) {
    for (std::int64_t slot = begin; slot < end; ++slot) {
      const std::vector<float>& track = tracks[batch[static_cast<std::size_t>(slot % n)]];
      Rng rng(options.seed ^ splitmix64_mix(step * 1024 + static_cast<std::uint64_t>(slot)));
      const std::int64_t room = static_cast<std::int64_t>(track.size()) - span;
      const std::int64_t start = room > 0 ? static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(room))) : 0;
      const std::vector<float> excerpt =
          augmented_excerpt(track, start, static_cast<int>(c.chunk_samples), static_cast<int>(c.sample_rate), rng,
                            options.augment);
      out[slot].copy_(log_mel_chunks(log_mel(excerpt), c)[0]);
    }
  });
  return out;
}

}  // namespace

torch::Tensor nt_xent_loss(const torch::Tensor& z, double temperature) {
  const std::int64_t n = z.size(0) / 2;
  const torch::Tensor self = torch::eye(2 * n, torch::TensorOptions().dtype(torch::kBool).device(z.device()));
  const torch::Tensor logits = z.mm(z.t()).div(temperature).masked_fill(self, -1e9);
  const torch::Tensor half = torch::arange(n, torch::TensorOptions().dtype(torch::kLong).device(z.device()));
  const torch::Tensor positive = torch::cat({half + n, half});
  return torch::nn::functional::cross_entropy(logits, positive);
}

TrainedAudioCnn train_audio_cnn(const std::vector<std::vector<float>>& tracks, const AudioCnnTraining& options) {
  if (tracks.size() < 2) throw UsageError("train-embedding: needs at least two tracks (other tracks are the negatives)");
  if (options.batch_tracks < 2) throw UsageError("train-embedding: a batch needs at least two tracks");
  torch::manual_seed(options.seed);
  TrainedAudioCnn result{AudioCnn(options.config), {}};
  AudioCnn& net = result.net;
  net->train();
  torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(options.learning_rate));
  const LogMel log_mel(options.config);
  Rng order_rng(options.seed);
  std::vector<std::size_t> order(tracks.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::uint64_t step = 0;
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    const auto start = Clock::now();
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[order_rng.below(i)]);
    double loss_sum = 0;
    int batches = 0;
    for (std::size_t begin = 0; begin + 2 <= order.size(); begin += static_cast<std::size_t>(options.batch_tracks)) {
      const std::size_t size = std::min(order.size() - begin, static_cast<std::size_t>(options.batch_tracks));
      if (size < 2) break;
      const torch::Tensor batch = make_batch(tracks, std::span(order).subspan(begin, size), options, log_mel, step++);
      const torch::Tensor loss = nt_xent_loss(net->forward(batch), options.temperature);
      if (!std::isfinite(loss.item<double>()))
        throw std::runtime_error("train-embedding: the loss is not finite at epoch " + std::to_string(epoch));
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<double>();
      ++batches;
    }
    result.epoch_loss.push_back(loss_sum / std::max(1, batches));
    if (options.report) {
      char line[160];
      std::snprintf(line, sizeof line, "epoch %d/%d: NT-Xent loss %.4f (%d batches, %.1f s)", epoch, options.epochs,
                    result.epoch_loss.back(), batches, seconds_since(start));
      options.report(line);
    }
  }
  net->eval();
  return result;
}

namespace {

EmbeddingTrainSummary train_from_inputs(const EmbeddingTrainOptions& options) {
  const auto start = Clock::now();
  AudioCnnTraining training;
  training.epochs = options.epochs;
  training.batch_tracks = options.batch_tracks;
  training.seed = options.seed;
  training.report = options.report;
  if (options.epochs < 1) throw UsageError("train-embedding: --epochs must be at least 1");
  const std::vector<std::string> files = list_audio_files(options.inputs);
  if (options.report) options.report("decoding " + std::to_string(files.size()) + " files");
  EmbeddingTrainSummary summary;
  const std::vector<std::vector<float>> tracks =
      load_tracks(files, static_cast<int>(training.config.sample_rate), kTrainSecondsPerTrack,
                  options.skip_bad_files ? &summary.skipped : nullptr);
  summary.tracks = static_cast<std::int64_t>(tracks.size());
  for (const auto& track : tracks) summary.audio_seconds += static_cast<double>(track.size()) / training.config.sample_rate;
  TrainedAudioCnn trained = train_audio_cnn(tracks, training);
  save_audio_cnn(options.out, trained.net);
  summary.epochs = options.epochs;
  summary.final_loss = trained.epoch_loss.back();
  summary.seconds = seconds_since(start);
  return summary;
}

TrackEmbeddings embed_inputs(const std::string& model_path, const std::vector<std::string>& inputs) {
  AudioCnn net = load_audio_cnn(model_path);
  const LogMel log_mel(net->config);
  TrackEmbeddings out;
  out.files = list_audio_files(inputs);
  out.dim = static_cast<int>(net->config.embedding_dim);
  for (const std::string& file : out.files) {
    const std::vector<float> mono = load_mono(file, static_cast<int>(net->config.sample_rate));
    const auto start = Clock::now();
    const std::vector<float> embedding = embed_signal(net, log_mel, mono);
    out.embed_seconds += seconds_since(start);
    out.audio_seconds += static_cast<double>(mono.size()) / static_cast<double>(net->config.sample_rate);
    out.values.insert(out.values.end(), embedding.begin(), embedding.end());
  }
  return out;
}

}  // namespace

AudioEmbedder cnn_audio_embedder() { return AudioEmbedder{&train_from_inputs, &embed_inputs}; }

}  // namespace segue::audio
