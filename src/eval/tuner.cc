#include "eval/tuner.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>

#include "data/error.h"
#include "data/split.h"
#include "eval/evaluator.h"
#include "models/recommender.h"
#include "models/registry.h"

namespace segue {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::vector<std::string> split_on(std::string_view text, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(sep, start);
    parts.push_back(trim(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start)));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

double parse_bound(const std::string& text, const std::string& key) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
    throw UsageError("space: '" + key + "': '" + text + "' is not a number");
  return value;
}

const ParamDecl& declared_param(const ModelSpec& declared, const std::string& key) {
  for (const ParamDecl& decl : declared.decls())
    if (decl.name == key) return decl;
  std::string known;
  for (const ParamDecl& decl : declared.decls()) known += (known.empty() ? "" : ", ") + decl.name;
  throw UsageError("space: '" + declared.name() + "' has no parameter '" + key + "' (it has: " +
                   (known.empty() ? "none" : known) + ")");
}

std::string format_value(const SearchDim& dim, double x) {
  char buffer[32];
  if (dim.integer) std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(std::llround(x)));
  else std::snprintf(buffer, sizeof buffer, "%.4g", x);
  return buffer;
}

std::string sample(const SearchDim& dim, std::mt19937_64& rng) {
  if (!dim.choices.empty()) {
    std::uniform_int_distribution<std::size_t> pick(0, dim.choices.size() - 1);
    return dim.choices[pick(rng)];
  }
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double u = unit(rng);
  double x = dim.log ? std::exp(std::log(dim.lo) + u * (std::log(dim.hi) - std::log(dim.lo)))
                     : dim.lo + u * (dim.hi - dim.lo);
  if (dim.integer) x = std::clamp(std::round(x), std::ceil(dim.lo), std::floor(dim.hi));
  return format_value(dim, x);
}

// Worse-than-everything for NaN, so a diverged trial never wins.
bool better(double a, double b) {
  if (std::isnan(b)) return !std::isnan(a);
  return a > b;
}

struct Runner {
  const Dataset& data;
  const ValidationSplit& split;
  const TuneOptions& options;
  const std::function<void(const Trial&)>& on_trial;
  TuneResult& result;

  Trial run(const ModelSpec& spec, int rung) {
    auto model = make_recommender(spec);
    FitContext context;
    context.pool = options.pool;
    context.seed = options.seed;
    context.dataset = &data;
    context.events = &split.train_events;
    context.item_features = options.item_features;
    context.user_features = options.user_features;
    Trial trial;
    trial.spec = spec.to_string();
    trial.rung = rung;
    try {
      model->fit(split.train, context);
      EvalOptions eval;
      eval.metrics = {options.metric};
      eval.pool = options.pool;
      const EvalResult measured = evaluate(*model, split.train, split.validation, eval);
      trial.value = measured.metrics.at(0).mean;
      trial.eval_seconds = measured.eval_seconds;
      result.validation_users = measured.evaluated_users;
    } catch (const std::runtime_error& error) {
      // A diverged or infeasible configuration is a result, not the end of
      // the search: it is kept with NaN and the reason goes to stderr.
      std::fprintf(stderr, "segue: tune: %s failed: %s\n", trial.spec.c_str(), error.what());
      trial.value = std::nan("");
    }
    trial.fit_seconds = model->fit_seconds();
    result.trials.push_back(trial);
    if (on_trial) on_trial(trial);
    return trial;
  }
};

std::string budget_key_of(const ModelSpec& spec) {
  for (const char* key : {"iterations", "epochs"})
    for (const ParamDecl& decl : spec.decls())
      if (decl.name == key && decl.type == ParamType::kInt) return key;
  return "";
}

}  // namespace

Trial run_trial(const Dataset& data, const ValidationSplit& split, const ModelSpec& spec, const TuneOptions& options) {
  TuneResult scratch;
  const std::function<void(const Trial&)> none;
  Runner runner{data, split, options, none, scratch};
  return runner.run(spec, 0);
}

ModelSpec sample_spec(const ModelSpec& base, const std::vector<SearchDim>& space, std::mt19937_64& rng) {
  ModelSpec spec = base;
  for (const SearchDim& dim : space) spec.set(dim.key, sample(dim, rng));
  return spec;
}

std::vector<SearchDim> parse_search_space(std::string_view text, const ModelSpec& declared) {
  std::vector<SearchDim> space;
  if (trim(text).empty()) return space;
  for (const std::string& entry : split_on(text, ',')) {
    const std::size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError("space: '" + entry + "' is not key=lo:hi[:log] or key=a|b|c");
    SearchDim dim;
    dim.key = trim(std::string_view(entry).substr(0, eq));
    const std::string value = trim(std::string_view(entry).substr(eq + 1));
    for (const SearchDim& seen : space)
      if (seen.key == dim.key) throw UsageError("space: '" + dim.key + "' given twice");
    const ParamDecl& decl = declared_param(declared, dim.key);
    if (value.find(':') == std::string::npos) {
      dim.choices = split_on(value, '|');
      ModelSpec probe = declared;
      for (const std::string& choice : dim.choices) probe.set(dim.key, choice);  // UsageError names the key
      space.push_back(std::move(dim));
      continue;
    }
    if (decl.type != ParamType::kInt && decl.type != ParamType::kFloat)
      throw UsageError("space: '" + dim.key + "' is not numeric: list its values as a|b|c");
    const std::vector<std::string> bounds = split_on(value, ':');
    if (bounds.size() < 2 || bounds.size() > 3 || (bounds.size() == 3 && bounds[2] != "log"))
      throw UsageError("space: '" + dim.key + "=" + value + "' is not lo:hi or lo:hi:log");
    dim.lo = parse_bound(bounds[0], dim.key);
    dim.hi = parse_bound(bounds[1], dim.key);
    dim.log = bounds.size() == 3;
    dim.integer = decl.type == ParamType::kInt;
    if (dim.lo > dim.hi) throw UsageError("space: '" + dim.key + "': lo " + bounds[0] + " > hi " + bounds[1]);
    if (dim.log && dim.lo <= 0) throw UsageError("space: '" + dim.key + "': a log range needs lo > 0");
    const bool low_ok = decl.min_exclusive ? dim.lo > decl.min : dim.lo >= decl.min;
    if (!low_ok || dim.hi > decl.max)
      throw UsageError("space: '" + dim.key + "=" + value + "' leaves the parameter's range " + decl.range_text());
    if (dim.integer && std::ceil(dim.lo) > std::floor(dim.hi))
      throw UsageError("space: '" + dim.key + "=" + value + "' holds no integer");
    space.push_back(std::move(dim));
  }
  return space;
}

ValidationSplit carve_validation(const Dataset& data, double fraction, std::uint64_t seed, const std::string& carve) {
  if (carve != "random" && carve != "leave-last")
    throw UsageError("carve: '" + carve + "' is not random or leave-last");
  SplitOptions options;
  options.method = carve;
  options.test_fraction = fraction;
  options.seed = seed;
  validate(options);
  Split split = split_dataset(data, options);
  ValidationSplit carved{build_feedback(data, &split.train), build_feedback(data, &split.test), {}};
  carved.train_events = std::move(split.train);
  return carved;
}

TuneResult tune(const Dataset& data, const TuneOptions& options, const std::function<void(const Trial&)>& on_trial) {
  const ModelSpec base = parse_spec(options.base_spec);
  const ModelInfo* info = find_model(base.name());
  const std::vector<SearchDim> space =
      parse_search_space(options.space.empty() && info != nullptr ? info->search_space : options.space, base);
  if (space.empty())
    throw UsageError("space: nothing to search for '" + base.name() + "' (give --space key=lo:hi,...)");
  if (options.trials < 1) throw UsageError("trials: must be >= 1, got " + std::to_string(options.trials));
  if (options.search != "random" && options.search != "halving")
    throw UsageError("search: '" + options.search + "' is not random or halving");
  if (options.halving_eta < 2) throw UsageError("eta: must be >= 2");
  parse_metric(options.metric);  // UsageError for an unknown metric before any fitting

  // The carve: the same per-user random split the split command makes, so
  // validation users resemble test users; test data never reaches here.
  const ValidationSplit carved = carve_validation(data, options.validation_fraction, options.seed, options.carve);

  TuneResult result;
  result.metric = options.metric;
  result.search = options.search;
  result.train_pairs = carved.train.nnz();
  result.validation_pairs = carved.validation.nnz();
  Runner runner{data, carved, options, on_trial, result};

  std::mt19937_64 rng(options.seed);
  std::vector<ModelSpec> candidates;
  for (int t = 0; t < options.trials; ++t) {
    ModelSpec spec = base;
    for (const SearchDim& dim : space) spec.set(dim.key, sample(dim, rng));
    candidates.push_back(std::move(spec));
  }

  if (options.search == "random") {
    bool first = true;
    for (const ModelSpec& spec : candidates) {
      const Trial trial = runner.run(spec, 0);
      if (first || better(trial.value, result.best.value)) result.best = trial;
      first = false;
    }
    return result;
  }

  // Successive halving (Jamieson & Talwalkar 2016): every candidate gets a
  // small share of the iteration budget, the best 1/eta go on with eta times
  // more, until the survivors train with the full budget of the base spec.
  result.budget_key = budget_key_of(base);
  if (result.budget_key.empty())
    throw UsageError("search: halving needs a model with an iterations or epochs parameter; '" + base.name() +
                     "' has none (use --search random)");
  for (const SearchDim& dim : space)
    if (dim.key == result.budget_key)
      throw UsageError("space: '" + dim.key + "' is the halving budget; leave it out of the space");
  const std::int64_t full_budget = base.get_int(result.budget_key);
  int rungs = 0;
  for (std::size_t n = candidates.size(); n >= static_cast<std::size_t>(options.halving_eta); n /= options.halving_eta)
    ++rungs;
  std::vector<std::size_t> alive(candidates.size());
  for (std::size_t i = 0; i < alive.size(); ++i) alive[i] = i;
  for (int rung = 0; rung <= rungs; ++rung) {
    const double share = std::pow(static_cast<double>(options.halving_eta), rung - rungs);
    const auto budget = std::max<std::int64_t>(1, std::llround(static_cast<double>(full_budget) * share));
    std::vector<std::pair<double, std::size_t>> scored;
    for (const std::size_t c : alive) {
      ModelSpec spec = candidates[c];
      spec.set(result.budget_key, std::to_string(budget));
      const Trial trial = runner.run(spec, rung);
      scored.push_back({trial.value, c});
      if (rung == rungs && (scored.size() == 1 || better(trial.value, result.best.value))) result.best = trial;
    }
    std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return better(a.first, b.first); });
    const std::size_t keep = std::max<std::size_t>(1, scored.size() / static_cast<std::size_t>(options.halving_eta));
    alive.clear();
    for (std::size_t i = 0; i < keep; ++i) alive.push_back(scored[i].second);
  }
  return result;
}

}  // namespace segue
