// Hyper-parameter search for any registered model, on a validation split
// carved from the training data only (the test set is never seen): random
// search, or successive halving over the model's iteration budget.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"
#include "models/feedback.h"
#include "models/spec.h"

namespace segue {

class ThreadPool;
struct FeatureMatrix;

// One searched parameter. Text form (one of a comma-separated list):
//   key=lo:hi        uniform in [lo, hi] (integers for int parameters)
//   key=lo:hi:log    log-uniform (lo > 0)
//   key=a|b|c        one of the listed values (any type)
struct SearchDim {
  std::string key;
  std::vector<std::string> choices;  // non-empty: a choice dimension
  double lo = 0, hi = 0;
  bool log = false;
  bool integer = false;
};

// Parses `text` against the model's declared parameters. UsageError naming the
// key for an unknown key, a malformed range, lo > hi, log with lo <= 0, a range
// outside the parameter's declared range, or a range on a string/bool key.
std::vector<SearchDim> parse_search_space(std::string_view text, const ModelSpec& declared);

struct TuneOptions {
  std::string base_spec;        // model name or spec; searched keys override it
  std::string space;            // "" = the model's ModelInfo::search_space
  std::string metric = "ndcg@10";
  int trials = 20;
  std::string search = "random";  // random | halving
  int halving_eta = 3;            // halving: keep the best 1/eta per rung
  double validation_fraction = 0.2;
  // How validation is carved from the training data: random (validation_fraction
  // of each user's events, as `segue split --method random`) or leave-last (each
  // user's last event, as `segue split --method leave-last`: next-track choices).
  std::string carve = "random";
  std::uint64_t seed = 42;
  ThreadPool* pool = nullptr;
  // Item features for content-aware models (rows = data's item id space).
  const FeatureMatrix* item_features = nullptr;
  // User features (rows = data's user id space).
  const FeatureMatrix* user_features = nullptr;
};

struct Trial {
  std::string spec;  // canonical spec
  double value = 0;  // the metric on validation
  double fit_seconds = 0;
  double eval_seconds = 0;
  int rung = 0;  // halving: the budget level it reached (0 for random search)
};

struct TuneResult {
  std::string metric;
  std::string search;
  std::vector<Trial> trials;  // in the order they ran
  Trial best;                 // the best trial of the top rung
  std::string budget_key;     // halving: the parameter scaled per rung
  std::int64_t validation_users = 0;
  std::int64_t train_pairs = 0, validation_pairs = 0;
};

// The per-user random validation split of `data` (each user's events, seeded),
// as feedback in data's id space; the carve the tuner uses.
struct ValidationSplit {
  FeedbackMatrix train, validation;
  std::vector<std::int64_t> train_events;  // indices into data.interactions (FitContext::events)
};
ValidationSplit carve_validation(const Dataset& data, double fraction, std::uint64_t seed,
                                 const std::string& carve = "random");

// One trial: fits `spec` on the carve's training part (its training events as
// FitContext::events) and measures options.metric on its validation part. A
// configuration that fails is a trial with NaN (the reason on stderr).
Trial run_trial(const Dataset& data, const ValidationSplit& split, const ModelSpec& spec, const TuneOptions& options);
// `base` with every dimension of `space` drawn at random.
ModelSpec sample_spec(const ModelSpec& base, const std::vector<SearchDim>& space, std::mt19937_64& rng);

// Runs the search. `on_trial` (optional) is called after each trial.
TuneResult tune(const Dataset& data, const TuneOptions& options,
                const std::function<void(const Trial&)>& on_trial = {});

}  // namespace segue
