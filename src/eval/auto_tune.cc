#include "eval/auto_tune.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <random>

#include "data/error.h"
#include "models/factorization/ials.h"
#include "models/registry.h"

namespace segue {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::int32_t kEaseItems = 20000;  // as rerank's auto generators: ease's n² matrix stays small

constexpr int kEnsembleSeeds = 5;

bool better(double a, double b) { return !std::isnan(a) && (std::isnan(b) || a > b); }

// A generator inside a rerank spec: its short form with ';' between parameters.
std::string nested(const std::string& spec) {
  std::string text = parse_spec(spec).to_short_string();
  std::replace(text.begin(), text.end(), ',', ';');
  return text;
}

// The ensemble of a tuned ials at every per-listener weight scale, five seeds each (models/rerank/ensemble.h).
// Its alpha becomes the same mean confidence on each scale (alpha × the mean f(weight) of the positives), so
// one tuned level serves the four; empty when `ials_spec` is not an ials spec.
std::string ials_ensemble(const std::string& ials_spec, const FeedbackMatrix& train) {
  ModelSpec spec = parse_spec(ials_spec);
  if (spec.name() != "ials") return "";
  const bool log = spec.get_string("confidence") == "log";
  const double alpha = spec.get_float("alpha");
  if (alpha >= 0) {
    const SparseRows positives = train.positives();
    const double per_unit = ials_derived_alpha(1.0f, log, positives.values);  // 1 / mean f(weight)
    spec.set("alpha", "-1");
    spec.set("confidence_mean", std::to_string(alpha / per_unit));
  }
  std::string members;
  for (const char* scale : {"none", "median", "rank", "share"}) {
    spec.set("user_scale", scale);
    members += (members.empty() ? "" : "+") + nested(spec.to_string());
  }
  return "ensemble:members=" + members + ",seeds=" + std::to_string(kEnsembleSeeds);
}

}  // namespace

AutoTuneResult auto_tune(const Dataset& data, const AutoTuneOptions& options,
                         const std::function<void(const Trial&, const std::string&)>& on_trial) {
  if (!(options.budget_seconds > 0)) throw UsageError("budget: must be > 0 seconds");
  if (options.generators < 1) throw UsageError("generators: must be >= 1");
  const Clock::time_point start = Clock::now();
  auto left = [&] { return options.budget_seconds - std::chrono::duration<double>(Clock::now() - start).count(); };
  const ValidationSplit split =
      carve_validation(data, options.tune.validation_fraction, options.tune.seed, options.tune.carve);
  // Next-track validation (leave-last): the stacks learn the same task, each
  // listener's next item, from three cuts of the carve (rerank carve=last).
  const bool next_track = options.tune.carve == "leave-last";
  const std::string stack_suffix = next_track ? ",carve=last,carves=3" : "";
  const double stack_fits = next_track ? 5.0 : 3.0;  // (carves + refit) x the generators' fits

  AutoTuneResult result;
  result.metric = options.tune.metric;
  result.best.value = std::nan("");
  auto record = [&](const Trial& trial, const std::string& stage) {
    result.trials.push_back(trial);
    if (better(trial.value, result.best.value)) result.best = trial;
    if (on_trial) on_trial(trial, stage);
  };

  // Stage one: every family at its defaults.
  std::vector<std::string> families;
  if (data.interactions.n_items <= kEaseItems) families.emplace_back("ease");
  for (const char* name : {"ials", "itemknn", "rp3beta", "userknn"}) families.emplace_back(name);
  if (options.tune.item_features != nullptr) {
    // With item features: content (the listener's feature profile) and featureknn (collaborative similarity of
    // the features, e.g. artists: a playlist's next track is often by an artist it already holds).
    families.emplace_back("content");
    families.emplace_back("featureknn");
  }
  struct Family {
    std::string name;
    Trial best;
    double cost = 0;  // seconds of its default trial
  };
  std::vector<Family> measured;
  for (const std::string& name : families) {
    if (!measured.empty() && left() < 0.5 * options.budget_seconds * 0.5) break;
    const Trial trial = run_trial(data, split, parse_spec(name), options.tune);
    record(trial, "defaults");
    measured.push_back({name, trial, trial.fit_seconds + trial.eval_seconds});
  }
  auto by_value = [](const Family& a, const Family& b) { return better(a.best.value, b.best.value); };
  std::stable_sort(measured.begin(), measured.end(), by_value);
  const std::size_t top = std::min<std::size_t>(measured.size(), static_cast<std::size_t>(options.generators));

  // Stage one, searched: the top families' own spaces, round robin, while half
  // the budget lasts and a trial of the family fits in what is left of that half.
  std::mt19937_64 rng(options.tune.seed);
  const double stage_one_end = 0.5 * options.budget_seconds;
  for (bool progress = true; progress;) {
    progress = false;
    for (std::size_t f = 0; f < top; ++f) {
      Family& family = measured[f];
      const ModelInfo* info = find_model(family.name);
      if (info == nullptr || info->search_space.empty()) continue;
      const double used = options.budget_seconds - left();
      if (used + 1.5 * family.cost > stage_one_end) continue;
      const ModelSpec base = parse_spec(family.name);
      const Trial trial = run_trial(data, split, sample_spec(base, parse_search_space(info->search_space, base), rng),
                                    options.tune);
      record(trial, "search");
      if (better(trial.value, family.best.value)) family.best = trial;
      progress = true;
    }
  }
  std::stable_sort(measured.begin(), measured.end(), by_value);

  // Stage two: stacks. (a) Over the best configuration of each top family;
  // (b) over the default generators (rerank's auto) with the best family's
  // tuned configuration in place of its default: a family tuned alone for the
  // metric is not always the best feature for the ranker. Each fit costs about
  // (carve + refit) x the generators' fits, plus the ranker.
  std::vector<std::pair<std::string, double>> stacks;  // generators, estimated seconds
  {
    std::string tuned;
    double cost = 0;
    for (std::size_t f = 0; f < top; ++f) {
      if (std::isnan(measured[f].best.value)) continue;
      tuned += (tuned.empty() ? "" : "+") + nested(measured[f].best.spec);
      cost += measured[f].best.fit_seconds;
    }
    if (!tuned.empty()) stacks.emplace_back(tuned, stack_fits * cost + 1.0);
    if (!measured.empty() && !std::isnan(measured[0].best.value)) {
      std::string mixed;
      double mixed_cost = 0;
      for (const std::string& name : families) {
        if (name == "content" || name == "featureknn") continue;  // rerank's auto generators
        const auto it = std::find_if(measured.begin(), measured.end(), [&](const Family& m) { return m.name == name; });
        const bool best_family = name == measured[0].name;
        mixed += (mixed.empty() ? "" : "+") + (best_family ? nested(measured[0].best.spec) : name);
        mixed_cost += it != measured.end() ? it->cost : 1.0;
      }
      if (mixed != tuned) stacks.emplace_back(mixed, stack_fits * mixed_cost + 1.0);
    }
  }
  for (const auto& [generators, estimate] : stacks) {
    if (left() > estimate) {
      record(run_trial(data, split, parse_spec("rerank:generators=" + generators + stack_suffix), options.tune),
             "stack");
    } else if (on_trial) {
      Trial skipped;
      skipped.spec = "rerank:generators=" + generators + stack_suffix + " (skipped: " + std::to_string(static_cast<int>(left())) +
                     " s left, about " + std::to_string(static_cast<int>(estimate)) + " s needed; raise --budget)";
      skipped.value = std::nan("");
      on_trial(skipped, "stack");
    }
  }
  // Stage three: the tuned ials averaged over weight scales and seeds. On small weighted data (Last.fm) most
  // of what separates ials fits is noise, and the mean of 20 of them beat both the best single fit and the
  // stacks on two validation carves (docs/BENCHMARKS.md); the carve decides here as for every candidate.
  const auto ials = std::find_if(measured.begin(), measured.end(), [](const Family& m) { return m.name == "ials"; });
  if (ials != measured.end() && !std::isnan(ials->best.value)) {
    const std::string spec = ials_ensemble(ials->best.spec, split.train);
    const double estimate = 4.0 * kEnsembleSeeds * (ials->best.fit_seconds + ials->best.eval_seconds) + 1.0;
    if (!spec.empty() && left() > estimate) {
      record(run_trial(data, split, parse_spec(spec), options.tune), "ensemble");
    } else if (!spec.empty() && on_trial) {
      Trial skipped;
      skipped.spec = spec + " (skipped: " + std::to_string(static_cast<int>(left())) + " s left, about " +
                     std::to_string(static_cast<int>(estimate)) + " s needed; raise --budget)";
      skipped.value = std::nan("");
      on_trial(skipped, "ensemble");
    }
  }
  if (std::isnan(result.best.value)) throw UsageError("tune --auto: every configuration failed (see the messages above)");
  result.best.spec = parse_spec(result.best.spec).to_short_string();
  result.seconds = options.budget_seconds - left();
  return result;
}

}  // namespace segue
