// segue skips train|predict: the skip-probability model (context/skip_model.h)
// on a store imported from Spotify skip logs (or any store with 'skip' events).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>

#include "cli/commands.h"
#include "context/skip_model.h"
#include "data/error.h"
#include "data/store.h"

namespace segue::cli {
namespace {

// A CSV field, quoted when it holds a comma, quote or line break.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void add_train(CLI::App& parent) {
  struct Args {
    std::string data, out;
    SkipModelOptions options;
    bool no_previous_skip = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = parent.add_subcommand("train", "Fit the skip-probability model (logistic regression) on a store");
  cmd->add_option("--data", args->data, "Store directory from `segue import` (e.g. --format spotify-skips)")->required();
  cmd->add_option("--out", args->out, "Skip model file to write (JSON)")->required();
  cmd->add_option("--test-fraction", args->options.test_fraction,
                  "Share of sessions held out for `skips predict` (by a hash of session id and --seed)")
      ->capture_default_str();
  cmd->add_option("--seed", args->options.seed, "Seed of the session split")->capture_default_str();
  cmd->add_option("--l2", args->options.l2, "L2 penalty λ (on the summed log-loss)")->capture_default_str();
  cmd->add_option("--iterations", args->options.max_iterations, "Most Newton steps")->capture_default_str();
  cmd->add_flag("--no-previous-skip", args->no_previous_skip, "Do not use the previous event's skip as a feature");
  cmd->callback([args] {
    args->options.previous_skip = !args->no_previous_skip;
    const Dataset data = load_dataset(args->data);
    const auto start = std::chrono::steady_clock::now();
    SkipTrainReport report;
    const SkipModel model = SkipModel::train(data, args->options, &report);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    model.save(args->out);
    std::printf("trained on %lld sessions, %lld events (%.1f%% skips); %lld sessions held out (test fraction %g, seed %llu)\n",
                static_cast<long long>(report.sessions), static_cast<long long>(report.events),
                100.0 * static_cast<double>(report.skips) / static_cast<double>(report.events),
                static_cast<long long>(report.held_out_sessions), args->options.test_fraction,
                static_cast<unsigned long long>(args->options.seed));
    std::printf("%zu features, %d Newton steps, %.2f s; on the training events: log-loss %.4f, AUC %.4f\n",
                model.feature_names().size(), report.iterations, seconds, report.train_log_loss, report.train_auc);
    std::vector<std::size_t> order(model.feature_names().size());
    for (std::size_t j = 0; j < order.size(); ++j) order[j] = j;
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return std::abs(model.weights()[a]) > std::abs(model.weights()[b]); });
    std::printf("largest weights (standardised features; + = more skips):\n");
    for (std::size_t r = 0; r < std::min<std::size_t>(8, order.size()); ++r)
      std::printf("  %-40s %+8.4f\n", model.feature_names()[order[r]].c_str(), model.weights()[order[r]]);
    std::printf("-> %s\n", args->out.c_str());
  });
}

void add_predict(CLI::App& parent) {
  struct Args {
    std::string model, data, out, protocol = "next-track";
    bool all_sessions = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = parent.add_subcommand("predict", "Write P(skip) for the held-out sessions, for `segue eval --skips`");
  cmd->add_option("--model", args->model, "Skip model file from `segue skips train`")->required();
  cmd->add_option("--data", args->data, "Store directory (the one the model was trained on, for its held-out sessions)")
      ->required();
  cmd->add_option("--out", args->out, "CSV to write: session_id,position,skip,prediction")->required();
  cmd->add_option("--protocol", args->protocol,
                  "next-track (all known before each track starts) or challenge (second half of each session unseen)")
      ->capture_default_str();
  cmd->add_flag("--all-sessions", args->all_sessions, "Predict every session, not only the held-out ones");
  cmd->callback([args] {
    const SkipProtocol protocol = parse_skip_protocol(args->protocol);
    const SkipModel model = SkipModel::load(args->model);
    const Dataset data = load_dataset(args->data);
    const std::vector<SkipPrediction> predictions = model.predict(data, protocol, args->all_sessions);
    if (predictions.empty())
      throw UsageError("no session to predict: the model held none of this store's sessions out (use --all-sessions)");
    std::ofstream out(args->out);
    if (!out) throw UsageError("--out: cannot write '" + args->out + "'");
    out << "session_id,position,skip,prediction\n";
    char number[32];
    std::int64_t sessions = 0;
    for (std::size_t r = 0; r < predictions.size(); ++r) {
      const SkipPrediction& p = predictions[r];
      if (r == 0 || p.session != predictions[r - 1].session) ++sessions;
      std::snprintf(number, sizeof number, "%.6f", static_cast<double>(p.probability));
      out << csv_field(p.session) << ',' << p.position << ',' << static_cast<int>(p.skip) << ',' << number << '\n';
    }
    out.close();
    if (!out) throw UsageError("--out: cannot write '" + args->out + "'");
    std::printf("predicted %zu events in %lld sessions (%s) -> %s; score with: segue eval --skips %s\n",
                predictions.size(), static_cast<long long>(sessions), args->protocol.c_str(), args->out.c_str(),
                args->out.c_str());
  });
}

}  // namespace

void add_skips_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("skips", "Skip-probability model: train on a store, predict held-out sessions");
  cmd->require_subcommand(1);
  add_train(*cmd);
  add_predict(*cmd);
}

}  // namespace segue::cli
