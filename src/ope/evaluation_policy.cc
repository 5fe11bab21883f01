#include "ope/evaluation_policy.h"

#include "data/error.h"
#include "ope/bts_policy.h"
#include "ope/spec_string.h"

namespace segue::ope {

ActionDist make_evaluation_policy(const std::string& text, const LoggedFeedback& log) {
  const SpecString spec = parse_spec_string(text, "--policy");
  if (spec.name == "uniform") {
    check_spec_keys(spec, "", "--policy");
    return uniform_action_dist(log.n_items, log.n_slots);
  }
  if (spec.name == "bts") {
    check_spec_keys(spec, "prior,campaign,draws,seed", "--policy");
    const auto prior_path = spec.params.find("prior");
    const auto campaign = spec.params.find("campaign");
    if (prior_path == spec.params.end() || campaign == spec.params.end()) {
      throw UsageError("--policy 'bts': needs prior=PATH and campaign=NAME (e.g. bts:prior=prior_bts.yaml,campaign=men)");
    }
    const std::int64_t draws = spec_integer(spec, "draws", 100000, "--policy");
    if (draws < 1 || draws > 100'000'000) throw UsageError("--policy 'bts': draws must be in [1, 1e8]");
    const auto seed = static_cast<std::uint64_t>(spec_integer(spec, "seed", 42, "--policy"));
    const BetaPrior prior = read_bts_prior(prior_path->second, campaign->second);
    if (static_cast<std::int64_t>(prior.alpha.size()) < log.n_items) {
      throw UsageError("--policy 'bts': the prior for '" + campaign->second + "' has " +
                       std::to_string(prior.alpha.size()) + " items but the log has item ids up to " +
                       std::to_string(log.n_items - 1));
    }
    return bts_action_dist(prior, log.n_slots, draws, seed);
  }
  throw UsageError("--policy: unknown policy '" + spec.name + "' (known: uniform, bts)");
}

}  // namespace segue::ope
