#include "ope/bts_policy.h"

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "data/csv_reader.h"
#include "data/error.h"

namespace segue::ope {
namespace {

// Uniform in (0, 1): 53 random bits, never 0 (logs of it are taken).
double open_uniform(std::mt19937_64& rng) {
  return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;
}

// Standard normal by Marsaglia's polar method (one value per call, no cache,
// so the stream does not depend on call history beyond the generator).
double normal_draw(std::mt19937_64& rng) {
  for (;;) {
    const double u = 2.0 * open_uniform(rng) - 1.0;
    const double v = 2.0 * open_uniform(rng) - 1.0;
    const double s = u * u + v * v;
    if (s > 0.0 && s < 1.0) return u * std::sqrt(-2.0 * std::log(s) / s);
  }
}

// Gamma(shape, 1) by Marsaglia and Tsang (2000); shape < 1 by boosting to
// shape + 1 and scaling by U^(1/shape).
double gamma_draw(std::mt19937_64& rng, double shape) {
  if (shape < 1.0) return gamma_draw(rng, shape + 1.0) * std::pow(open_uniform(rng), 1.0 / shape);
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    const double x = normal_draw(rng);
    double v = 1.0 + c * x;
    if (v <= 0.0) continue;
    v = v * v * v;
    const double u = open_uniform(rng);
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

std::string trim(const std::string& text) {
  const std::size_t begin = text.find_first_not_of(' ');
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(' ') - begin + 1);
}

}  // namespace

double beta_draw(std::mt19937_64& rng, double a, double b) {
  const double x = gamma_draw(rng, a);
  const double y = gamma_draw(rng, b);
  return x / (x + y);
}

BetaPrior read_bts_prior(const std::string& path, const std::string& campaign) {
  std::ifstream in(path);
  if (!in) throw InputError(path, 0, "", "cannot open the prior file");
  std::map<std::string, BetaPrior> campaigns;
  std::string current, list, raw;
  std::size_t line = 0;
  while (std::getline(in, raw)) {
    ++line;
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    if (const std::size_t hash = raw.find('#'); hash != std::string::npos) raw.resize(hash);
    if (raw.find('\t') != std::string::npos) throw InputError(path, line, "", "tabs are not allowed in YAML indentation");
    const std::string text = trim(raw);
    if (text.empty()) continue;
    const bool top = raw[0] != ' ';
    if (text.back() == ':' && top) {
      current = text.substr(0, text.size() - 1);
      list.clear();
      if (current.empty() || campaigns.count(current)) throw InputError(path, line, current, "an empty or repeated campaign key");
      campaigns[current];
    } else if (!top && (text == "alpha:" || text == "beta:")) {
      if (current.empty()) throw InputError(path, line, text, "alpha/beta outside a campaign");
      list = text.substr(0, text.size() - 1);
      const BetaPrior& prior = campaigns[current];
      if (!(list == "alpha" ? prior.alpha : prior.beta).empty()) {
        throw InputError(path, line, current + "." + list, "a repeated key");
      }
    } else if (!top && text.rfind("- ", 0) == 0) {
      if (list.empty()) throw InputError(path, line, current, "a list item outside alpha or beta");
      double value = 0.0;
      if (!parse_double(trim(text.substr(2)), value) || !(value > 0.0)) {
        throw InputError(path, line, current + "." + list, "a positive number, got '" + trim(text.substr(2)) + "'");
      }
      BetaPrior& prior = campaigns[current];
      (list == "alpha" ? prior.alpha : prior.beta).push_back(value);
    } else {
      throw InputError(path, line, "", "expected 'campaign:', '  alpha:', '  beta:' or '    - number', got '" + text + "'");
    }
  }
  const auto found = campaigns.find(campaign);
  if (found == campaigns.end()) {
    std::string known;
    for (const auto& [name, prior] : campaigns) known += (known.empty() ? "" : ", ") + name;
    throw InputError(path, 0, campaign, "no such campaign (the file has: " + known + ")");
  }
  const BetaPrior& prior = found->second;
  if (prior.alpha.empty() || prior.alpha.size() != prior.beta.size()) {
    throw InputError(path, 0, campaign,
                     "alpha and beta must be non-empty lists of equal length (" + std::to_string(prior.alpha.size()) +
                         " alpha, " + std::to_string(prior.beta.size()) + " beta)");
  }
  return prior;
}

ActionDist bts_action_dist(const BetaPrior& prior, std::int32_t n_slots, std::int64_t draws, std::uint64_t seed) {
  const auto n_items = static_cast<std::int32_t>(prior.alpha.size());
  if (n_slots < 1 || n_slots > n_items) {
    throw UsageError("bts: the log has " + std::to_string(n_slots) + " positions but the prior only " +
                     std::to_string(n_items) + " items");
  }
  if (draws < 1) throw UsageError("bts: draws must be >= 1");
  std::vector<std::int64_t> counts(static_cast<std::size_t>(n_items) * static_cast<std::size_t>(n_slots), 0);
  std::vector<double> theta(static_cast<std::size_t>(n_items));
  std::vector<std::int32_t> top(static_cast<std::size_t>(n_slots));
  std::mt19937_64 rng(seed);
  for (std::int64_t draw = 0; draw < draws; ++draw) {
    for (std::int32_t i = 0; i < n_items; ++i) theta[i] = beta_draw(rng, prior.alpha[i], prior.beta[i]);
    // Insertion into the running top n_slots, best first: n_slots is small (3 in OBD).
    std::int32_t filled = 0;
    for (std::int32_t i = 0; i < n_items; ++i) {
      std::int32_t at = filled;
      while (at > 0 && theta[top[at - 1]] < theta[i]) --at;
      if (at >= n_slots) continue;
      for (std::int32_t k = std::min(filled, n_slots - 1); k > at; --k) top[k] = top[k - 1];
      top[at] = i;
      filled = std::min(filled + 1, n_slots);
    }
    for (std::int32_t k = 0; k < n_slots; ++k) ++counts[static_cast<std::size_t>(top[k]) * n_slots + k];
  }
  ActionDist dist;
  dist.n_items = n_items;
  dist.n_slots = n_slots;
  dist.prob.resize(counts.size());
  for (std::size_t c = 0; c < counts.size(); ++c) dist.prob[c] = static_cast<double>(counts[c]) / static_cast<double>(draws);
  return dist;
}

}  // namespace segue::ope
