#include "ope/estimators.h"

#include <cmath>

#include "data/error.h"
#include "ope/spec_string.h"

namespace segue::ope {

std::vector<EstimatorSpec> parse_estimators(const std::string& list) {
  std::vector<EstimatorSpec> out;
  std::size_t begin = 0;
  while (begin <= list.size()) {
    std::size_t end = list.find(',', begin);
    if (end == std::string::npos) end = list.size();
    // "switch-dr:tau=5" carries its parameter; a comma always starts a new estimator.
    const SpecString spec = parse_spec_string(std::string_view(list).substr(begin, end - begin), "--estimators");
    EstimatorSpec e;
    e.name = spec.name;
    if (spec.name == "ipw") e.kind = EstimatorKind::kIpw;
    else if (spec.name == "snipw") e.kind = EstimatorKind::kSnipw;
    else if (spec.name == "dm") e.kind = EstimatorKind::kDm;
    else if (spec.name == "dr") e.kind = EstimatorKind::kDr;
    else if (spec.name == "sndr") e.kind = EstimatorKind::kSndr;
    else if (spec.name == "switch-dr") e.kind = EstimatorKind::kSwitchDr;
    else throw UsageError("--estimators: unknown estimator '" + spec.name + "' (known: ipw, snipw, dm, dr, sndr, switch-dr)");
    check_spec_keys(spec, e.kind == EstimatorKind::kSwitchDr ? "tau" : "", "--estimators");
    e.tau = spec_number(spec, "tau", e.tau, "--estimators");
    if (!(e.tau >= 0.0)) throw UsageError("--estimators 'switch-dr': tau must be >= 0");
    for (const EstimatorSpec& seen : out) {
      if (seen.name == e.name) throw UsageError("--estimators: '" + e.name + "' listed twice");
    }
    out.push_back(e);
    begin = end + 1;
  }
  return out;
}

RoundTerms round_terms(const LoggedFeedback& log, const ActionDist& dist, const RewardPredictions* model) {
  std::vector<std::uint32_t> rows(log.rounds());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<std::uint32_t>(i);
  return round_terms(log, dist, model, rows);
}

namespace {

// Σ_a pi_e(a | slot) q̂(round, a, slot) / Σ_a pi_e(a | slot).
double policy_mean(const ActionDist& dist, const RewardPredictions& model, std::size_t round, std::int32_t slot) {
  double weighted = 0.0, mass = 0.0;
  for (std::int32_t a = 0; a < dist.n_items; ++a) {
    const double p = dist.at(a, slot);
    weighted += p * model.at(round, a, slot);
    mass += p;
  }
  return mass > 0.0 ? weighted / mass : 0.0;
}

}  // namespace

RoundTerms round_terms(const LoggedFeedback& log, const ActionDist& dist, const RewardPredictions* model,
                       std::span<const std::uint32_t> rows) {
  if (dist.n_items < log.n_items || dist.n_slots != log.n_slots) {
    throw UsageError("the evaluation policy covers " + std::to_string(dist.n_items) + " items × " +
                     std::to_string(dist.n_slots) + " positions; the log needs " + std::to_string(log.n_items) +
                     " × " + std::to_string(log.n_slots));
  }
  if (model != nullptr && (model->n_items != dist.n_items || model->n_slots != dist.n_slots)) {
    throw UsageError("the reward model's items × positions differ from the evaluation policy's");
  }
  const std::size_t n = rows.size();
  RoundTerms terms;
  terms.weight.resize(n);
  terms.reward.resize(n);
  for (std::size_t j = 0; j < n; ++j) {
    const std::uint32_t i = rows[j];
    terms.weight[j] = dist.at(log.item[i], log.slot[i]) / log.pscore[i];
    terms.reward[j] = log.reward[i];
  }
  if (model == nullptr) return terms;
  // A context-free model has one policy mean per slot: computed once, not per round.
  std::vector<double> slot_mean;
  if (!model->per_round) {
    for (std::int32_t slot = 0; slot < dist.n_slots; ++slot) slot_mean.push_back(policy_mean(dist, *model, 0, slot));
  }
  terms.dm.resize(n);
  terms.q_factual.resize(n);
  for (std::size_t j = 0; j < n; ++j) {
    const std::uint32_t i = rows[j];
    const std::int32_t slot = log.slot[i];
    terms.dm[j] = model->per_round ? policy_mean(dist, *model, i, slot) : slot_mean[static_cast<std::size_t>(slot)];
    terms.q_factual[j] = model->at(i, log.item[i], slot);
  }
  return terms;
}

double unsupported_mass(const LoggedFeedback& log, const ActionDist& dist) {
  std::vector<char> shown(static_cast<std::size_t>(dist.n_items) * static_cast<std::size_t>(dist.n_slots), 0);
  for (std::size_t i = 0; i < log.rounds(); ++i) {
    shown[static_cast<std::size_t>(log.item[i]) * static_cast<std::size_t>(dist.n_slots) + static_cast<std::size_t>(log.slot[i])] = 1;
  }
  double mass = 0.0;
  for (std::size_t cell = 0; cell < shown.size(); ++cell) mass += shown[cell] ? 0.0 : dist.prob[cell];
  return mass / static_cast<double>(dist.n_slots);
}

double estimate(const EstimatorSpec& spec, const RoundTerms& t, std::span<const std::uint32_t> rows) {
  if (rows.empty()) return 0.0;
  const auto n = static_cast<double>(rows.size());
  double sum_w = 0.0, sum_wr = 0.0, sum_dm = 0.0, sum_wres = 0.0, sum_switch = 0.0;
  const bool model = spec.needs_model();
  for (const std::uint32_t i : rows) {
    const double w = t.weight[i];
    sum_w += w;
    sum_wr += w * t.reward[i];
    if (!model) continue;
    sum_dm += t.dm[i];
    const double residual = w * (t.reward[i] - t.q_factual[i]);
    sum_wres += residual;
    if (w <= spec.tau) sum_switch += residual;
  }
  switch (spec.kind) {
    case EstimatorKind::kIpw: return sum_wr / n;
    case EstimatorKind::kSnipw: return sum_w > 0.0 ? sum_wr / sum_w : 0.0;
    case EstimatorKind::kDm: return sum_dm / n;
    case EstimatorKind::kDr: return (sum_dm + sum_wres) / n;
    case EstimatorKind::kSndr: return sum_dm / n + (sum_w > 0.0 ? sum_wres / sum_w : 0.0);
    case EstimatorKind::kSwitchDr: return (sum_dm + sum_switch) / n;
  }
  return 0.0;
}

}  // namespace segue::ope
