// The policy families behind make_policy (src/home/policy_spec.cc parses the
// spec and calls these). `spec` is the canonical spec string the policy
// reports (Policy::spec), every parameter spelled out.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "home/bandit.h"
#include "home/reward_model.h"

namespace segue::home {

// uniform: every remaining arm equally likely; propensity at slot j = 1 / (arms - j).
std::unique_ptr<Policy> make_uniform_policy(std::string spec);

// egreedy (greedy when epsilon = 0): per slot, with probability epsilon a
// uniform pick among the remaining arms, else the factorization machine's
// best remaining arm (ties: lower index). Propensity, exact:
// (1 - epsilon)·[arm is the best remaining] + epsilon / remaining.
std::unique_ptr<Policy> make_egreedy_policy(double epsilon, const FmOptions& reward_model, std::string spec);

// thompson (model=beta): Beta(alpha, beta) prior on each (arm key, context
// bucket)'s stream rate, Bernoulli rewards; sequential Thompson sampling
// (home/thompson_slate.h) with Monte Carlo propensities from `draws` draws.
struct BetaThompsonOptions {
  double prior_alpha = 1.0;
  double prior_beta = 1.0;
  std::int32_t draws = 1000;
};
std::unique_ptr<Policy> make_beta_thompson_policy(const BetaThompsonOptions& options, std::string spec);

// thompson:model=logistic: Bayesian logistic regression over the features
// with a diagonal Laplace posterior N(mean_i, 1 / precision_i) (Chapelle & Li
// 2011), updated one outcome at a time; sequential Thompson sampling with
// Monte Carlo propensities.
struct LogisticThompsonOptions {
  double prior_precision = 1.0;  // the prior N(0, 1 / prior_precision) on every weight
  std::int32_t draws = 1000;
};
std::unique_ptr<Policy> make_logistic_thompson_policy(const LogisticThompsonOptions& options, std::string spec);

// linucb: a linear reward model over the hashed features with a shared
// diagonal design matrix (per-feature A_i = reg + Σ x_i², a diagonal recursive
// least squares), scored by mean + alpha·sqrt(Σ x_i² / A_i); deterministic,
// propensity 1.
struct LinUcbOptions {
  double alpha = 1.0;  // width of the confidence bonus
  double reg = 1.0;    // ridge prior: A_i starts here
};
std::unique_ptr<Policy> make_linucb_policy(const LinUcbOptions& options, std::string spec);

}  // namespace segue::home
