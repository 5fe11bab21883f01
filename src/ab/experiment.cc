#include "ab/experiment.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "data/csv_reader.h"
#include "data/error.h"
#include "util/rng.h"

namespace segue::ab {
namespace {

using nlohmann::json;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "", "cannot open experiment file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const json& member(const json& object, const char* key, const std::string& where, const std::string& source) {
  const auto it = object.find(key);
  if (it == object.end()) throw InputError(source, 0, where + key, "missing");
  return *it;
}

std::string string_member(const json& object, const char* key, const std::string& where, const std::string& source,
                          bool required) {
  if (!required && !object.contains(key)) return "";
  const json& value = member(object, key, where, source);
  if (!value.is_string()) throw InputError(source, 0, where + key, "expected a string, got " + value.dump());
  return value.get<std::string>();
}

}  // namespace

int Experiment::find(std::string_view arm) const {
  for (std::size_t a = 0; a < arms.size(); ++a)
    if (arms[a].name == arm) return static_cast<int>(a);
  return -1;
}

void validate_experiment(const Experiment& experiment, const std::string& source) {
  if (experiment.salt.empty())
    throw InputError(source, 0, "salt", "must not be empty (it keeps this experiment's split independent of others)");
  if (experiment.arms.empty()) throw InputError(source, 0, "arms", "expected at least one arm");
  std::set<std::string> names;
  double total = 0.0;
  for (std::size_t a = 0; a < experiment.arms.size(); ++a) {
    const Arm& arm = experiment.arms[a];
    const std::string where = "arms[" + std::to_string(a) + "]";
    if (arm.name.empty()) throw InputError(source, 0, where + ".name", "must not be empty");
    if (!names.insert(arm.name).second)
      throw InputError(source, 0, where + ".name", "duplicate arm name '" + arm.name + "'");
    if (!(arm.share > 0.0 && arm.share <= 1.0))
      throw InputError(source, 0, where + ".share", "expected a share in (0, 1], got " + std::to_string(arm.share));
    total += arm.share;
  }
  if (std::abs(total - 1.0) > 1e-9) {
    std::ostringstream sum;
    sum.precision(17);
    sum << total;
    throw InputError(source, 0, "arms[].share", "shares must sum to 1 (within 1e-9), got " + sum.str());
  }
}

Experiment parse_experiment(std::string_view json_text, const std::string& source) {
  const json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) throw InputError(source, 0, "", "not valid JSON");
  if (!root.is_object()) throw InputError(source, 0, "", "expected a JSON object");
  Experiment experiment;
  experiment.name = string_member(root, "name", "", source, true);
  experiment.salt = string_member(root, "salt", "", source, true);
  const json& arms = member(root, "arms", "", source);
  if (!arms.is_array()) throw InputError(source, 0, "arms", "expected an array of arms");
  for (std::size_t a = 0; a < arms.size(); ++a) {
    const std::string where = "arms[" + std::to_string(a) + "].";
    if (!arms[a].is_object()) throw InputError(source, 0, "arms[" + std::to_string(a) + "]", "expected an object");
    Arm arm;
    arm.name = string_member(arms[a], "name", where, source, true);
    const json& share = member(arms[a], "share", where, source);
    if (!share.is_number()) throw InputError(source, 0, where + "share", "expected a number, got " + share.dump());
    arm.share = share.get<double>();
    arm.spec = string_member(arms[a], "spec", where, source, false);
    experiment.arms.push_back(std::move(arm));
  }
  validate_experiment(experiment, source);
  return experiment;
}

Experiment load_experiment(const std::string& path) { return parse_experiment(read_text(path), path); }

double assignment_point(std::string_view listener, std::string_view salt) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  const auto mix = [&h](unsigned char c) { h = (h ^ c) * 0x100000001b3ull; };
  for (const char c : salt) mix(static_cast<unsigned char>(c));
  mix(0);  // so ("ab", "c") and ("a", "bc") differ
  for (const char c : listener) mix(static_cast<unsigned char>(c));
  return static_cast<double>(splitmix64_mix(h) >> 11) * 0x1.0p-53;
}

const Arm& assign(const Experiment& experiment, std::string_view listener) {
  if (experiment.arms.empty()) throw UsageError("experiment '" + experiment.name + "' has no arms");
  const double point = assignment_point(listener, experiment.salt);
  double cumulative = 0.0;
  for (const Arm& arm : experiment.arms) {
    cumulative += arm.share;
    if (point < cumulative) return arm;
  }
  return experiment.arms.back();
}

std::vector<Arm> parse_shares(std::string_view text) {
  std::vector<Arm> arms;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view pair = text.substr(start, comma - start);
    const std::size_t eq = pair.find('=');
    Arm arm;
    if (eq == std::string_view::npos || eq == 0 || !parse_double(pair.substr(eq + 1), arm.share))
      throw UsageError("--shares: expected NAME=SHARE pairs like control=0.5,treatment=0.5, got '" +
                       std::string(pair) + "'");
    arm.name = std::string(pair.substr(0, eq));
    arms.push_back(std::move(arm));
    start = comma + 1;
  }
  Experiment check{"--shares", "--shares", arms};
  try {
    validate_experiment(check, "--shares");
  } catch (const InputError& error) {
    throw UsageError("--shares: " + error.reason() + (error.field().empty() ? "" : " (" + error.field() + ")"));
  }
  return arms;
}

}  // namespace segue::ab
