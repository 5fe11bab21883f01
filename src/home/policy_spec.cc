// make_policy: policies by spec string, parsed like model specs
// (models/spec.h), so every parameter has a default, a range and a doc line,
// and a bad one is a UsageError that names it.
#include <algorithm>

#include "data/error.h"
#include "home/policies.h"
#include "models/spec.h"

namespace segue::home {
namespace {

// The reward model's parameters, shared by greedy and egreedy.
std::vector<ParamDecl> fm_params() {
  return {int_param("factors", 8, 0, kMaxFmFactors, "latent factors per feature (0 = logistic regression)"),
          float_param("learning_rate", 0.05, 0.0, 10.0, "SGD step on the log loss", true),
          float_param("reg", 0.001, 0.0, 1e3, "L2 regularisation"),
          int_param("epochs", 5, 1, 1000, "passes over the logs in refit"),
          int_param("seed", 1, 0, 9.0e15, "seed of the initial factors and refit's shuffle")};
}

FmOptions fm_options(const ModelSpec& spec) {
  FmOptions options;
  options.factors = static_cast<int>(spec.get_int("factors"));
  options.learning_rate = spec.get_float("learning_rate");
  options.reg = spec.get_float("reg");
  options.epochs = static_cast<int>(spec.get_int("epochs"));
  options.seed = static_cast<std::uint64_t>(spec.get_int("seed"));
  return options;
}

ParamDecl draws_param() {
  return int_param("draws", 1000, 1, 1e7, "Monte Carlo draws per propensity (recorded as mc_draws)");
}

std::unique_ptr<Policy> make_thompson(const SpecParts& parts) {
  std::string model = "beta";
  for (const auto& [key, value] : parts.params)
    if (key == "model") model = value;
  if (model == "beta") {
    const ModelSpec spec = parse_params(
        parts, {string_param("model", "beta", "beta (per arm and context bucket) or logistic (over the features)"),
                float_param("alpha", 1.0, 0.0, 1e9, "Beta prior: pseudo-streams", true),
                float_param("beta", 1.0, 0.0, 1e9, "Beta prior: pseudo-non-streams", true), draws_param()});
    BetaThompsonOptions options;
    options.prior_alpha = spec.get_float("alpha");
    options.prior_beta = spec.get_float("beta");
    options.draws = static_cast<std::int32_t>(spec.get_int("draws"));
    return make_beta_thompson_policy(options, spec.to_string());
  }
  if (model == "logistic") {
    const ModelSpec spec = parse_params(
        parts, {string_param("model", "beta", "beta (per arm and context bucket) or logistic (over the features)"),
                float_param("prior_precision", 1.0, 0.0, 1e9, "precision of the N(0, 1/precision) weight prior", true),
                draws_param()});
    LogisticThompsonOptions options;
    options.prior_precision = spec.get_float("prior_precision");
    options.draws = static_cast<std::int32_t>(spec.get_int("draws"));
    return make_logistic_thompson_policy(options, spec.to_string());
  }
  throw UsageError("policy 'thompson': parameter 'model': expected beta or logistic, got '" + model + "'");
}

std::unique_ptr<Policy> parse_policy(const std::string& text) {
  const SpecParts parts = split_spec(text);
  if (parts.name == "uniform") return make_uniform_policy(parse_params(parts, {}).to_string());
  if (parts.name == "greedy") {
    const ModelSpec spec = parse_params(parts, fm_params());
    return make_egreedy_policy(0.0, fm_options(spec), spec.to_string());
  }
  if (parts.name == "egreedy") {
    std::vector<ParamDecl> params = fm_params();
    params.insert(params.begin(), float_param("epsilon", 0.1, 0.0, 1.0, "probability of a uniform pick per slot"));
    const ModelSpec spec = parse_params(parts, std::move(params));
    return make_egreedy_policy(spec.get_float("epsilon"), fm_options(spec), spec.to_string());
  }
  if (parts.name == "thompson") return make_thompson(parts);
  if (parts.name == "linucb") {
    const ModelSpec spec =
        parse_params(parts, {float_param("alpha", 1.0, 0.0, 1e6, "width of the confidence bonus"),
                             float_param("reg", 1.0, 0.0, 1e9, "ridge prior on every weight", true)});
    LinUcbOptions options;
    options.alpha = spec.get_float("alpha");
    options.reg = spec.get_float("reg");
    return make_linucb_policy(options, spec.to_string());
  }
  throw UsageError("unknown policy '" + parts.name + "' (known: uniform, greedy, egreedy, thompson, linucb)");
}

}  // namespace

std::unique_ptr<Policy> make_policy(const std::string& text) {
  try {
    return parse_policy(text);
  } catch (const UsageError& e) {
    // The spec parser speaks of models; here the spec names a policy.
    std::string message = e.what();
    if (message.rfind("model ", 0) == 0) message.replace(0, 5, "policy");
    throw UsageError(message);
  }
}

}  // namespace segue::home
