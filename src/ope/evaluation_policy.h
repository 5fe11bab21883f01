// The evaluation policy of `segue ope --policy SPEC` as an action
// distribution over the log's items and positions.
#pragma once

#include <string>

#include "ope/action_dist.h"
#include "ope/logged_feedback.h"

namespace segue::ope {

// Specs:
//   uniform                          1 / n_items at every position
//   bts:prior=PATH,campaign=NAME[,draws=100000,seed=42]
//                                    Bernoulli Thompson sampling's Monte Carlo
//                                    distribution from its Beta parameters
//                                    (ope/bts_policy.h); n_items = the prior's
//                                    size, which must cover the log's items.
// UsageError naming --policy and the parameter for a bad spec.
ActionDist make_evaluation_policy(const std::string& spec, const LoggedFeedback& log);

}  // namespace segue::ope
