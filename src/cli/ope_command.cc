// segue ope --log LOG.csv --policy SPEC | --policy-dist DIST.csv: the value of
// an evaluation policy estimated from logs of another (docs/OPE.md).
#include <cstdio>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "data/error.h"
#include "ope/action_dist.h"
#include "ope/evaluation_policy.h"
#include "ope/logged_feedback.h"
#include "ope/off_policy_evaluation.h"
#include "ope/reward_model.h"

namespace segue::cli {
namespace {

struct OpeArgs {
  std::string log, policy, policy_dist, reward_model, json_path, write_dist;
  std::string estimators = "ipw,snipw,dm,dr,sndr,switch-dr";
  int bootstrap = 1000;
  std::uint64_t seed = 42;
  double reward_prior = 100.0;
};

void write_text(const std::string& path, const std::string& text, const char* option) {
  std::ofstream file(path);
  if (!(file << text)) throw UsageError(std::string(option) + ": cannot write '" + path + "'");
}

nlohmann::json result_json(const ope::OpeResult& result, const OpeArgs& args, double unsupported) {
  nlohmann::json estimates = nlohmann::json::object();
  for (const ope::OpeEstimate& e : result.estimates) {
    estimates[e.name] = {{"value", e.value}, {"ci95", {e.lo, e.hi}}};
  }
  const ope::WeightDiagnostics& d = result.diagnostics;
  return {{"estimates", estimates},
          {"rounds", result.rounds},
          {"diagnostics",
           {{"effective_sample_size", d.effective_sample_size},
            {"max_weight", d.max_weight},
            {"mean_weight", d.mean_weight},
            {"zero_weight_rounds", d.zero_weight_rounds},
            {"unsupported_mass", unsupported}}},
          {"log", args.log},
          {"policy", args.policy.empty() ? "dist:" + args.policy_dist : args.policy},
          {"reward_model", args.reward_model.empty() ? "click-rate:prior=" + std::to_string(args.reward_prior)
                                                     : "file:" + args.reward_model},
          {"bootstrap", {{"resamples", args.bootstrap}, {"seed", args.seed}}}};
}

void print_result(const ope::OpeResult& result, const ope::LoggedFeedback& log) {
  double on_policy = 0.0;
  for (const double r : log.reward) on_policy += r;
  on_policy /= static_cast<double>(log.rounds());
  std::printf("%lld rounds, %d items, %d positions (numbered from %d); logging policy's own mean reward %.6f\n",
              static_cast<long long>(result.rounds), log.n_items, log.n_slots, log.position_base, on_policy);
  std::printf("%-10s %12s %12s %12s\n", "estimator", "value", "ci95 lo", "ci95 hi");
  for (const ope::OpeEstimate& e : result.estimates) {
    std::printf("%-10s %12.6f %12.6f %12.6f\n", e.name.c_str(), e.value, e.lo, e.hi);
  }
  const ope::WeightDiagnostics& d = result.diagnostics;
  std::printf("weights: effective sample size %.1f of %lld, max %.3f, mean %.4f (should be ~1), %lld rounds with weight 0\n",
              d.effective_sample_size, static_cast<long long>(result.rounds), d.max_weight, d.mean_weight,
              static_cast<long long>(d.zero_weight_rounds));
}

void run(const OpeArgs& args) {
  if (args.policy.empty() == args.policy_dist.empty()) {
    throw UsageError("give exactly one of --policy SPEC and --policy-dist DIST.csv");
  }
  ope::OpeOptions options;
  options.estimators = ope::parse_estimators(args.estimators);
  options.resamples = args.bootstrap;
  options.seed = args.seed;
  const ope::LoggedFeedback log = ope::read_logged_feedback(args.log);
  const ope::ActionDist dist = args.policy.empty() ? ope::read_action_dist(args.policy_dist, log)
                                                   : ope::make_evaluation_policy(args.policy, log);
  if (!args.write_dist.empty()) write_text(args.write_dist, ope::action_dist_csv(dist, log.position_base), "--write-dist");
  bool needs_model = false;
  for (const ope::EstimatorSpec& e : options.estimators) needs_model = needs_model || e.needs_model();
  std::unique_ptr<ope::RewardPredictions> model;
  if (needs_model) {
    model = std::make_unique<ope::RewardPredictions>(
        args.reward_model.empty() ? ope::fit_click_rate_model(log, dist.n_items, args.reward_prior)
                                  : ope::read_reward_predictions(args.reward_model, log, dist.n_items));
  }
  const ope::RoundTerms terms = ope::round_terms(log, dist, model.get());
  if (needs_model && args.reward_model.empty()) {
    // The built-in model is cheap to re-fit: each resample gets its own, so
    // DM's interval is not the model's noise-free illusion.
    options.resample_terms = [&log, &dist, &args](std::span<const std::uint32_t> rows) {
      const ope::RewardPredictions refit = ope::fit_click_rate_model(log, dist.n_items, args.reward_prior, rows);
      return ope::round_terms(log, dist, &refit, rows);
    };
  }
  const ope::OpeResult result = ope::evaluate_off_policy(terms, options);
  print_result(result, log);
  const double unsupported = ope::unsupported_mass(log, dist);
  if (unsupported > 0.0) {
    std::printf("warning: %.1f%% of the evaluation policy's probability is on (item, position) pairs the log never shows;"
                " IPW/SNIPW miss that part, DM and the DR family see it only through the reward model\n", 100.0 * unsupported);
  }
  if (!args.json_path.empty()) {
    write_text(args.json_path, result_json(result, args, unsupported).dump(2) + "\n", "--json");
    std::printf("-> %s\n", args.json_path.c_str());
  }
}

}  // namespace

void add_ope_command(CLI::App& app) {
  auto args = std::make_shared<OpeArgs>();
  CLI::App* cmd = app.add_subcommand("ope", "Off-policy evaluation: a policy's value estimated from another policy's logs");
  cmd->add_option("--log", args->log,
                  "Logged feedback in the Open Bandit Dataset layout (,timestamp,item_id,position,click,propensity_score,...)")
      ->required();
  cmd->add_option("--policy", args->policy,
                  "Evaluation policy: uniform | bts:prior=prior_bts.yaml,campaign=men[,draws=100000,seed=42]");
  cmd->add_option("--policy-dist", args->policy_dist,
                  "Evaluation policy as item_id,position,prob (context-free; each position sums to 1)");
  cmd->add_option("--estimators", args->estimators, "Comma-separated: ipw,snipw,dm,dr,sndr,switch-dr[:tau=10]")
      ->capture_default_str();
  cmd->add_option("--bootstrap", args->bootstrap, "Bootstrap resamples over rounds for the 95% CIs (0: none)")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of the bootstrap")->capture_default_str();
  cmd->add_option("--reward-model", args->reward_model,
                  "q̂ for DM/DR as round,item_id,position,q_hat (default: per item × position click rate)");
  cmd->add_option("--reward-prior", args->reward_prior,
                  "Strength (pseudo-shows) of the default model's prior toward the overall click rate")
      ->capture_default_str();
  cmd->add_option("--json", args->json_path, "Write the estimates, CIs and weight diagnostics as JSON");
  cmd->add_option("--write-dist", args->write_dist, "Write the evaluation policy's distribution as DIST.csv");
  cmd->callback([args] { run(*args); });
}

}  // namespace segue::cli
