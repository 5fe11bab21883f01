// Skip-probability model: feature construction (SkipEncoder), Newton/IRLS
// fitting of L2 logistic regression, prediction protocols, model file.
#include "context/skip_model.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <numbers>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "context/moods.h"
#include "data/error.h"
#include "eval/skip_metrics.h"
#include "util/cholesky.h"

namespace segue {

// ---------------------------------------------------------------- sessions

std::vector<SkipSession> skip_sessions(const Dataset& data) {
  const Interactions& x = data.interactions;
  std::vector<SkipSession> out;
  std::vector<std::int32_t> by_code(static_cast<std::size_t>(data.sessions.size()), -1);
  const ContextColumn* length_column = nullptr;
  for (const ContextColumn& column : x.context)
    if (column.name == "session_length" && !column.categorical) length_column = &column;
  for (std::int32_t u = 0; u < x.n_users; ++u) {
    std::int32_t own = -1;  // this user's session for events without a code
    for (std::int64_t e = x.begin(u); e < x.end(u); ++e) {
      const std::int32_t code = x.sessions.empty() ? kNoSession : x.sessions[e];
      std::int32_t* slot = code == kNoSession ? &own : &by_code[static_cast<std::size_t>(code)];
      if (*slot < 0) {
        *slot = static_cast<std::int32_t>(out.size());
        out.push_back({std::string(code == kNoSession ? data.users.name(u) : data.sessions.name(code)), {}, 0, false});
      }
      out[static_cast<std::size_t>(*slot)].events.push_back(e);
    }
  }
  for (SkipSession& session : out) {
    session.ordered = !x.positions.empty() &&
                      std::all_of(session.events.begin(), session.events.end(),
                                  [&](std::int64_t e) { return x.positions[e] != kNoPosition; });
    if (session.ordered)
      std::stable_sort(session.events.begin(), session.events.end(),
                       [&](std::int64_t a, std::int64_t b) { return x.positions[a] < x.positions[b]; });
    session.length = static_cast<std::int64_t>(session.events.size());
    if (session.ordered) session.length = std::max<std::int64_t>(session.length, x.positions[session.events.back()]);
    if (length_column != nullptr) {
      const float declared = length_column->values[session.events.front()];
      if (std::isfinite(declared) && declared >= static_cast<float>(session.length))
        session.length = static_cast<std::int64_t>(declared);
    }
  }
  return out;
}

bool is_test_session(std::string_view id, double fraction, std::uint64_t seed) {
  if (fraction <= 0.0) return false;
  if (fraction >= 1.0) return true;
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a, then splitmix64 with the seed
  for (const unsigned char c : id) h = (h ^ c) * 1099511628211ULL;
  h += seed * 0x9E3779B97F4A7C15ULL + 0x9E3779B97F4A7C15ULL;
  h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ULL;
  h = (h ^ (h >> 27)) * 0x94D049BB133111EBULL;
  h ^= h >> 31;
  return static_cast<double>(h >> 11) * 0x1.0p-53 < fraction;
}

bool is_skip_event(const Dataset& data, std::int64_t event) {
  const std::int16_t code = data.interactions.event(event);
  return code >= 0 && static_cast<std::size_t>(code) < data.event_names.size() && data.event_names[code] == "skip";
}

SkipProtocol parse_skip_protocol(std::string_view text) {
  if (text == "next-track") return SkipProtocol::kNextTrack;
  if (text == "challenge") return SkipProtocol::kChallenge;
  throw UsageError("--protocol: expected next-track or challenge, got '" + std::string(text) + "'");
}

// ---------------------------------------------------------------- features

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr const char* kAudioPrefix = "audio:";
constexpr const char* kContextPrefix = "context:";
constexpr const char* kPreviousReasonEnd = "previous_reason_end";
constexpr const char* kOther = "<other>";
constexpr std::size_t kMaxLevels = 50;

// Numeric context columns known before the track starts (Spotify log names).
constexpr const char* kPrePlayFlags[] = {"context_switch", "no_pause_before_play", "short_pause_before_play",
                                         "long_pause_before_play", "hist_user_behavior_is_shuffle"};
// Categorical context columns used as they are on the event.
constexpr const char* kEventCategories[] = {"context_type", "premium", "hist_user_behavior_reason_start"};
// Event features computed from position and time.
constexpr const char* kEventFeatures[] = {"position_fraction", "log_position", "log_session_length", "first_track",
                                          "hour_sin", "hour_cos", "hour_sin2", "hour_cos2"};

const ContextColumn* find_context(const Dataset& data, std::string_view name) {
  for (const ContextColumn& column : data.interactions.context)
    if (column.name == name) return &column;
  return nullptr;
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// Session-log fields a challenge test half does not have.
bool is_log_field(std::string_view name) {
  return starts_with(name, kContextPrefix) || name == "hist_user_behavior_reason_start" || name == kPreviousReasonEnd;
}

}  // namespace

// Turns events (or an item in a SkipContext) into raw features and then into
// model-space vectors, against one dataset's columns.
class SkipEncoder {
 public:
  SkipEncoder(const SkipModel& model, const Dataset& data) : model_(model), data_(data) {
    hour_column_ = find_context(data, "hour_of_day");
    for (const SkipModel::Numeric& numeric : model.numeric_) {
      Source source;
      const std::string_view name = numeric.name;
      if (starts_with(name, kAudioPrefix)) {
        source.kind = Source::kAudio;
        source.audio = data.item_attributes.find_number(name.substr(std::string_view(kAudioPrefix).size()));
      } else if (starts_with(name, kContextPrefix)) {
        source.kind = Source::kContext;
        source.context = find_context(data, name.substr(std::string_view(kContextPrefix).size()));
        if (source.context != nullptr && source.context->categorical) source.context = nullptr;
      } else {
        source.kind = Source::kEvent;
      }
      sources_.push_back(source);
    }
    map_levels();
  }

  // Level tables from the model's current levels (call again when they change).
  void map_levels() {
    categories_.clear();
    for (const SkipModel::Categorical& categorical : model_.categorical_) {
      Category category;
      category.previous = categorical.name == kPreviousReasonEnd;
      category.column = find_context(data_, category.previous ? "hist_user_behavior_reason_end" : categorical.name);
      if (category.column != nullptr && !category.column->categorical) category.column = nullptr;
      if (category.column != nullptr) {
        const IdMap& vocab = category.column->vocab;
        category.level.assign(static_cast<std::size_t>(vocab.size()), -1);
        for (std::int32_t code = 0; code < vocab.size(); ++code)
          for (std::size_t l = 0; l < categorical.levels.size(); ++l)
            if (categorical.levels[l] == vocab.name(code)) category.level[code] = static_cast<std::int32_t>(l);
      }
      categories_.push_back(std::move(category));
    }
  }

  // Level of data code `code` of categorical c (-1 = other/missing).
  std::int32_t level(std::size_t c, std::int32_t code) const { return code < 0 ? -1 : categories_[c].level[code]; }

  // Raw data code of categorical c for event e (-1 = missing), for choosing levels.
  std::int32_t code(std::size_t c, std::int64_t e, std::int64_t previous) const {
    const Category& category = categories_[c];
    const std::int64_t at = category.previous ? previous : e;
    if (category.column == nullptr || at < 0 || category.column->codes.empty()) return -1;
    return category.column->codes[at];
  }

  // Raw features of event e (index i in `session`): numeric into num (NaN =
  // missing), categorical level indices into cat (-1 = other/missing).
  void raw_event(const SkipSession& session, std::size_t i, float previous_skip, bool hide_log, float* num,
                 std::int32_t* cat) const {
    const Interactions& x = data_.interactions;
    const std::int64_t e = session.events[i];
    std::int64_t previous = -1;
    if (session.ordered && i > 0 && x.positions[session.events[i - 1]] == x.positions[e] - 1)
      previous = session.events[i - 1];
    const float position = session.ordered ? static_cast<float>(x.positions[e]) : static_cast<float>(i + 1);
    const int hour = event_hour(x, e, hour_column_);
    EventValues values{position, static_cast<float>(session.length), hour < 0 ? kNaN : static_cast<float>(hour),
                       previous >= 0 || !session.ordered ? previous_skip : kNaN};
    if (!session.ordered) values.previous_skip = kNaN;  // ordering unknown
    const std::int32_t item = x.items[e];
    for (std::size_t f = 0; f < sources_.size(); ++f) {
      const Source& source = sources_[f];
      float value = kNaN;
      if (source.kind == Source::kAudio) {
        value = audio(source, item);
      } else if (source.kind == Source::kContext) {
        if (source.context != nullptr && !source.context->values.empty()) value = source.context->values[e];
      } else {
        value = event_value(model_.numeric_[f].name, values);
      }
      if (hide_log && is_log_field(model_.numeric_[f].name)) value = kNaN;
      num[f] = value;
    }
    for (std::size_t c = 0; c < categories_.size(); ++c) {
      const std::int32_t data_code = code(c, e, previous);
      cat[c] = data_code < 0 ? -1 : categories_[c].level[data_code];
      if (hide_log && is_log_field(model_.categorical_[c].name)) cat[c] = -1;
    }
  }

  // Raw features of item row `item` in a hypothetical context.
  void raw_item(std::int32_t item, const SkipContext& context, float* num, std::int32_t* cat) const {
    const EventValues values{context.position, context.session_length, context.hour, context.previous_skip};
    for (std::size_t f = 0; f < sources_.size(); ++f) {
      const Source& source = sources_[f];
      num[f] = source.kind == Source::kAudio   ? audio(source, item)
               : source.kind == Source::kEvent ? event_value(model_.numeric_[f].name, values)
                                               : kNaN;
    }
    for (std::size_t c = 0; c < model_.categorical_.size(); ++c) {
      cat[c] = -1;
      for (const auto& [name, value] : context.categories)
        if (name == model_.categorical_[c].name)
          for (std::size_t l = 0; l < model_.categorical_[c].levels.size(); ++l)
            if (model_.categorical_[c].levels[l] == value) cat[c] = static_cast<std::int32_t>(l);
    }
  }

  // Model-space vector: standardised numerics (missing -> 0 = the training
  // mean, and its flag set), then one-hot categories with an <other> column.
  void encode(const float* num, const std::int32_t* cat, float* x) const {
    std::size_t d = 0;
    for (std::size_t f = 0; f < model_.numeric_.size(); ++f) {
      const SkipModel::Numeric& numeric = model_.numeric_[f];
      const bool missing = !std::isfinite(num[f]);
      x[d++] = missing ? 0.0f : static_cast<float>((num[f] - numeric.mean) / numeric.scale);
      if (numeric.flag) x[d++] = missing ? 1.0f : 0.0f;
    }
    for (std::size_t c = 0; c < model_.categorical_.size(); ++c) {
      const std::size_t levels = model_.categorical_[c].levels.size();
      for (std::size_t l = 0; l <= levels; ++l) x[d + l] = 0.0f;
      x[d + (cat[c] < 0 ? levels : static_cast<std::size_t>(cat[c]))] = 1.0f;
      d += levels + 1;
    }
  }

 private:
  struct Source {
    enum Kind { kAudio, kContext, kEvent } kind = kEvent;
    const NumericColumn* audio = nullptr;
    const ContextColumn* context = nullptr;
  };
  struct Category {
    const ContextColumn* column = nullptr;
    bool previous = false;
    std::vector<std::int32_t> level;  // data code -> level (-1 = other)
  };
  struct EventValues {
    float position, length, hour, previous_skip;
  };

  static float audio(const Source& source, std::int32_t item) {
    if (source.audio == nullptr || item < 0 || static_cast<std::size_t>(item) >= source.audio->values.size()) return kNaN;
    return source.audio->values[static_cast<std::size_t>(item)];
  }

  static float event_value(std::string_view name, const EventValues& v) {
    constexpr double kTwoPi = 2.0 * std::numbers::pi;
    if (name == "position_fraction")
      return v.length > 1.0f ? (v.position - 1.0f) / (v.length - 1.0f) : (std::isfinite(v.length) ? 0.0f : kNaN);
    if (name == "log_position") return v.position >= 1.0f ? std::log(v.position) : kNaN;
    if (name == "log_session_length") return v.length >= 1.0f ? std::log(v.length) : kNaN;
    if (name == "first_track") return std::isfinite(v.position) ? (v.position == 1.0f ? 1.0f : 0.0f) : kNaN;
    if (name == "previous_skip") return v.previous_skip;
    if (!std::isfinite(v.hour)) return kNaN;
    const double angle = kTwoPi * v.hour / 24.0;
    if (name == "hour_sin") return static_cast<float>(std::sin(angle));
    if (name == "hour_cos") return static_cast<float>(std::cos(angle));
    if (name == "hour_sin2") return static_cast<float>(std::sin(2.0 * angle));
    if (name == "hour_cos2") return static_cast<float>(std::cos(2.0 * angle));
    return kNaN;
  }

  const SkipModel& model_;
  const Dataset& data_;
  const ContextColumn* hour_column_ = nullptr;
  std::vector<Source> sources_;
  std::vector<Category> categories_;
};

void SkipModel::build_names() {
  names_.clear();
  for (const Numeric& numeric : numeric_) {
    names_.push_back(numeric.name);
    if (numeric.flag) names_.push_back(numeric.name + ":missing");
  }
  for (const Categorical& categorical : categorical_) {
    for (const std::string& level : categorical.levels) names_.push_back(categorical.name + "=" + level);
    names_.push_back(categorical.name + "=" + kOther);
  }
}

std::vector<std::string> SkipModel::track_features() const {
  std::vector<std::string> out;
  for (const Numeric& numeric : numeric_)
    if (starts_with(numeric.name, kAudioPrefix)) out.push_back(numeric.name.substr(std::string_view(kAudioPrefix).size()));
  return out;
}

std::vector<std::string> SkipModel::category_levels(std::string_view name) const {
  for (const Categorical& categorical : categorical_)
    if (categorical.name == name) return categorical.levels;
  return {};
}

double SkipModel::probability(std::span<const float> x) const {
  double z = bias_;
  for (std::size_t j = 0; j < weights_.size(); ++j) z += weights_[j] * x[j];
  return 1.0 / (1.0 + std::exp(-z));
}

// ---------------------------------------------------------------- fitting

namespace {

// log(1 + exp(z)) without overflow.
double softplus(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

}  // namespace

SkipModel SkipModel::train(const Dataset& data, const SkipModelOptions& options, SkipTrainReport* report) {
  if (!(options.l2 >= 0.0) || !std::isfinite(options.l2)) throw UsageError("--l2: must be a number >= 0");
  if (!(options.test_fraction >= 0.0 && options.test_fraction < 1.0))
    throw UsageError("--test-fraction: must be in [0, 1), got " + nlohmann::json(options.test_fraction).dump());
  if (options.max_iterations < 1) throw UsageError("--iterations: must be at least 1");
  SkipModel model;
  model.test_fraction_ = options.test_fraction;
  model.seed_ = options.seed;
  model.previous_skip_ = options.previous_skip;

  // Raw feature list from what the data has.
  for (const NumericColumn& column : data.item_attributes.numbers) model.numeric_.push_back({kAudioPrefix + column.name});
  for (const char* name : kEventFeatures) model.numeric_.push_back({name});
  if (options.previous_skip) model.numeric_.push_back({"previous_skip"});
  for (const char* name : kPrePlayFlags) {
    const ContextColumn* column = find_context(data, name);
    if (column != nullptr && !column->categorical) model.numeric_.push_back({std::string(kContextPrefix) + name});
  }
  for (const char* name : kEventCategories) {
    const ContextColumn* column = find_context(data, name);
    if (column != nullptr && column->categorical) model.categorical_.push_back({name, {}});
  }
  if (const ContextColumn* end = find_context(data, "hist_user_behavior_reason_end"); end != nullptr && end->categorical)
    model.categorical_.push_back({kPreviousReasonEnd, {}});

  // Training events and their raw features.
  const std::vector<SkipSession> sessions = skip_sessions(data);
  SkipTrainReport summary;
  std::vector<std::uint8_t> labels;
  std::vector<float> raw_num;
  std::vector<std::int32_t> raw_code;  // data codes first, levels after choosing them
  const std::size_t m = model.numeric_.size();
  const std::size_t c = model.categorical_.size();
  SkipEncoder encoder(model, data);
  std::vector<float> num(m);
  std::vector<std::int32_t> cat(c);
  for (const SkipSession& session : sessions) {
    if (is_test_session(session.id, options.test_fraction, options.seed)) {
      ++summary.held_out_sessions;
      continue;
    }
    ++summary.sessions;
    for (std::size_t i = 0; i < session.events.size(); ++i) {
      const std::int64_t e = session.events[i];
      const float previous_skip = i > 0 && is_skip_event(data, session.events[i - 1]) ? 1.0f : 0.0f;
      encoder.raw_event(session, i, previous_skip, false, num.data(), cat.data());
      raw_num.insert(raw_num.end(), num.begin(), num.end());
      std::int64_t previous = -1;
      if (session.ordered && i > 0 &&
          data.interactions.positions[session.events[i - 1]] == data.interactions.positions[e] - 1)
        previous = session.events[i - 1];
      for (std::size_t k = 0; k < c; ++k) raw_code.push_back(encoder.code(k, e, previous));
      labels.push_back(is_skip_event(data, e) ? 1 : 0);
    }
  }
  const std::size_t n = labels.size();
  summary.events = static_cast<std::int64_t>(n);
  summary.skips = std::count(labels.begin(), labels.end(), std::uint8_t{1});
  if (n == 0) throw UsageError("no training events (every session is held out, or the data is empty)");
  if (summary.skips == 0 || summary.skips == summary.events)
    throw UsageError("the training events are all " + std::string(summary.skips == 0 ? "plays" : "skips") +
                     ": a skip model needs both (skips are events named 'skip')");

  // Standardisation statistics and missing flags.
  for (std::size_t f = 0; f < m; ++f) {
    double sum = 0.0, square = 0.0;
    std::size_t present = 0;
    for (std::size_t r = 0; r < n; ++r) {
      const float value = raw_num[r * m + f];
      if (!std::isfinite(value)) continue;
      sum += value;
      square += static_cast<double>(value) * value;
      ++present;
    }
    Numeric& numeric = model.numeric_[f];
    numeric.flag = present < n;
    numeric.mean = present > 0 ? sum / static_cast<double>(present) : 0.0;
    const double variance = present > 0 ? square / static_cast<double>(present) - numeric.mean * numeric.mean : 0.0;
    numeric.scale = variance > 1e-12 ? std::sqrt(variance) : 1.0;
  }
  // Categorical levels: the most frequent data values (up to kMaxLevels).
  for (std::size_t k = 0; k < c; ++k) {
    std::map<std::int32_t, std::int64_t> counts;
    for (std::size_t r = 0; r < n; ++r)
      if (raw_code[r * c + k] >= 0) ++counts[raw_code[r * c + k]];
    std::vector<std::pair<std::int64_t, std::int32_t>> order;
    for (const auto& [code, count] : counts) order.emplace_back(-count, code);
    std::sort(order.begin(), order.end());
    if (order.size() > kMaxLevels) order.resize(kMaxLevels);
    const ContextColumn* column = find_context(
        data, model.categorical_[k].name == kPreviousReasonEnd ? "hist_user_behavior_reason_end" : model.categorical_[k].name);
    for (const auto& [count, code] : order) model.categorical_[k].levels.emplace_back(column->vocab.name(code));
  }
  model.build_names();
  encoder.map_levels();

  // Design matrix.
  const std::size_t d = model.names_.size();
  std::vector<float> x(n * d);
  {
    std::vector<std::int32_t> levels(c);
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t k = 0; k < c; ++k) levels[k] = encoder.level(k, raw_code[r * c + k]);
      encoder.encode(&raw_num[r * m], levels.data(), &x[r * d]);
    }
  }
  raw_num = {};

  // Newton / IRLS on [w, b]: loss = Σ softplus(z) - y z + λ/2 |w|².
  const std::size_t p = d + 1;  // last = bias
  std::vector<double> w(p, 0.0);
  const double base_rate = static_cast<double>(summary.skips) / static_cast<double>(n);
  w[d] = std::log(base_rate / (1.0 - base_rate));
  const auto margin = [&](const std::vector<double>& weights, std::size_t r) {
    double z = weights[d];
    const float* row = &x[r * d];
    for (std::size_t j = 0; j < d; ++j) z += weights[j] * row[j];
    return z;
  };
  const auto loss = [&](const std::vector<double>& weights) {
    double total = 0.0;
    for (std::size_t r = 0; r < n; ++r) {
      const double z = margin(weights, r);
      total += softplus(z) - (labels[r] ? z : 0.0);
    }
    for (std::size_t j = 0; j < d; ++j) total += 0.5 * options.l2 * weights[j] * weights[j];
    return total;
  };
  double current = loss(w);
  std::vector<double> gradient(p), hessian(p * p), row(p);
  for (int iteration = 0; iteration < options.max_iterations; ++iteration) {
    std::fill(gradient.begin(), gradient.end(), 0.0);
    std::fill(hessian.begin(), hessian.end(), 0.0);
    for (std::size_t r = 0; r < n; ++r) {
      const double z = margin(w, r);
      const double prob = 1.0 / (1.0 + std::exp(-z));
      const double residual = prob - labels[r];
      const double curvature = std::max(prob * (1.0 - prob), 1e-12);
      for (std::size_t j = 0; j < d; ++j) row[j] = x[r * d + j];
      row[d] = 1.0;
      for (std::size_t j = 0; j < p; ++j) {
        if (row[j] == 0.0) continue;
        gradient[j] += residual * row[j];
        const double scaled = curvature * row[j];
        for (std::size_t k = 0; k <= j; ++k) hessian[j * p + k] += scaled * row[k];
      }
    }
    for (std::size_t j = 0; j < p; ++j)
      for (std::size_t k = 0; k < j; ++k) hessian[k * p + j] = hessian[j * p + k];
    for (std::size_t j = 0; j < d; ++j) {
      gradient[j] += options.l2 * w[j];
      hessian[j * p + j] += options.l2;
    }
    for (std::size_t j = 0; j < p; ++j) hessian[j * p + j] += 1e-9 * static_cast<double>(n);  // ridge for rank-deficient X
    std::vector<double> step = gradient;
    if (!cholesky_solve(hessian, step, p)) break;
    // Backtracking: Newton steps on logistic loss can overshoot far from the optimum.
    double t = 1.0;
    std::vector<double> next(p);
    double value = current;
    for (int halving = 0; halving < 30; ++halving, t *= 0.5) {
      for (std::size_t j = 0; j < p; ++j) next[j] = w[j] - t * step[j];
      value = loss(next);
      if (value <= current) break;
    }
    summary.iterations = iteration + 1;
    if (!(value <= current)) break;
    const double improvement = current - value;
    w = next;
    current = value;
    if (improvement <= options.tolerance * std::max(1.0, current)) break;
  }
  model.weights_.assign(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(d));
  model.bias_ = w[d];

  std::vector<float> predicted(n);
  for (std::size_t r = 0; r < n; ++r) predicted[r] = static_cast<float>(model.probability({&x[r * d], d}));
  summary.train_log_loss = log_loss(predicted, labels);
  summary.train_auc = auc(predicted, labels);
  if (report != nullptr) *report = summary;
  return model;
}

// ---------------------------------------------------------------- prediction

std::vector<SkipPrediction> SkipModel::predict(const Dataset& data, SkipProtocol protocol, bool all_sessions) const {
  const SkipEncoder encoder(*this, data);
  const std::size_t m = numeric_.size();
  std::vector<float> num(m), x(names_.size());
  std::vector<std::int32_t> cat(categorical_.size());
  std::vector<SkipPrediction> out;
  const bool everything = all_sessions || test_fraction_ <= 0.0;
  for (const SkipSession& session : skip_sessions(data)) {
    if (!everything && !is_test_session(session.id, test_fraction_, seed_)) continue;
    const std::int64_t observed = protocol == SkipProtocol::kChallenge ? session.length / 2 : session.length;
    float previous_predicted = kNaN;
    for (std::size_t i = 0; i < session.events.size(); ++i) {
      const std::int64_t e = session.events[i];
      const std::int64_t position =
          session.ordered ? data.interactions.positions[e] : static_cast<std::int64_t>(i + 1);
      const bool hidden = position > observed;
      float previous_skip = i > 0 && is_skip_event(data, session.events[i - 1]) ? 1.0f : 0.0f;
      if (hidden && position - 1 > observed) previous_skip = previous_predicted;  // inside the unseen half
      encoder.raw_event(session, i, previous_skip, hidden, num.data(), cat.data());
      encoder.encode(num.data(), cat.data(), x.data());
      const float p = static_cast<float>(probability(x));
      previous_predicted = p;
      out.push_back({session.id, position, static_cast<std::uint8_t>(is_skip_event(data, e) ? 1 : 0), p});
    }
  }
  return out;
}

std::vector<float> SkipModel::item_probabilities(const Dataset& data, const SkipContext& context) const {
  const SkipEncoder encoder(*this, data);
  std::vector<float> num(numeric_.size()), x(names_.size());
  std::vector<std::int32_t> cat(categorical_.size());
  std::vector<float> out(static_cast<std::size_t>(data.n_items()));
  for (std::int32_t item = 0; item < data.n_items(); ++item) {
    encoder.raw_item(item, context, num.data(), cat.data());
    encoder.encode(num.data(), cat.data(), x.data());
    out[static_cast<std::size_t>(item)] = static_cast<float>(probability(x));
  }
  return out;
}

// ---------------------------------------------------------------- file

void SkipModel::save(const std::string& path) const {
  nlohmann::json numeric = nlohmann::json::array();
  for (const Numeric& f : numeric_) numeric.push_back({{"name", f.name}, {"mean", f.mean}, {"scale", f.scale}, {"flag", f.flag}});
  nlohmann::json categorical = nlohmann::json::array();
  for (const Categorical& f : categorical_) categorical.push_back({{"name", f.name}, {"levels", f.levels}});
  nlohmann::json weights = nlohmann::json::array();
  for (std::size_t j = 0; j < names_.size(); ++j) weights.push_back({names_[j], weights_[j]});
  const nlohmann::json out = {{"format", "segue-skip-model"},
                              {"version", 1},
                              {"model", "logistic regression (L2), Newton/IRLS"},
                              {"test_fraction", test_fraction_},
                              {"seed", seed_},
                              {"previous_skip", previous_skip_},
                              {"numeric", numeric},
                              {"categorical", categorical},
                              {"bias", bias_},
                              {"weights", weights}};
  std::ofstream file(path);
  if (!file) throw UsageError("--out: cannot write '" + path + "'");
  file << out.dump(1) << '\n';
  file.close();
  if (!file) throw UsageError("--out: cannot write '" + path + "'");
}

SkipModel SkipModel::load(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw InputError(path, 0, "", "cannot open the skip model file");
  nlohmann::json in;
  try {
    in = nlohmann::json::parse(file);
  } catch (const nlohmann::json::exception& error) {
    throw InputError(path, 0, "", std::string("not a JSON skip model: ") + error.what());
  }
  if (!in.is_object() || in.value("format", "") != "segue-skip-model")
    throw InputError(path, 0, "format", "not a segue skip model (format must be \"segue-skip-model\")");
  if (in.value("version", 0) != 1) throw InputError(path, 0, "version", "unsupported skip model version");
  SkipModel model;
  try {
    model.test_fraction_ = in.at("test_fraction").get<double>();
    model.seed_ = in.at("seed").get<std::uint64_t>();
    model.previous_skip_ = in.at("previous_skip").get<bool>();
    for (const auto& f : in.at("numeric"))
      model.numeric_.push_back({f.at("name").get<std::string>(), f.at("mean").get<double>(),
                                f.at("scale").get<double>(), f.at("flag").get<bool>()});
    for (const auto& f : in.at("categorical"))
      model.categorical_.push_back({f.at("name").get<std::string>(), f.at("levels").get<std::vector<std::string>>()});
    model.bias_ = in.at("bias").get<double>();
    model.build_names();
    const auto& weights = in.at("weights");
    if (weights.size() != model.names_.size())
      throw InputError(path, 0, "weights", "expected " + std::to_string(model.names_.size()) + " weights, got " +
                                               std::to_string(weights.size()));
    for (std::size_t j = 0; j < weights.size(); ++j) {
      if (weights[j].at(0).get<std::string>() != model.names_[j])
        throw InputError(path, 0, "weights", "weight " + std::to_string(j) + " is for '" +
                                                 weights[j].at(0).get<std::string>() + "', expected '" +
                                                 model.names_[j] + "'");
      model.weights_.push_back(weights[j].at(1).get<double>());
    }
  } catch (const nlohmann::json::exception& error) {
    throw InputError(path, 0, "", std::string("malformed skip model: ") + error.what());
  }
  for (const Numeric& f : model.numeric_)
    if (!std::isfinite(f.mean) || !(f.scale > 0.0)) throw InputError(path, 0, "numeric", "bad mean/scale for " + f.name);
  for (double w : model.weights_)
    if (!std::isfinite(w)) throw InputError(path, 0, "weights", "a weight is not finite");
  if (!std::isfinite(model.bias_)) throw InputError(path, 0, "bias", "not finite");
  return model;
}

// ---------------------------------------------------------------- re-ranking

void apply_skip_penalty(std::span<float> scores, std::span<const float> p_skip, float penalty) {
  if (scores.size() != p_skip.size())
    throw UsageError("apply_skip_penalty: " + std::to_string(scores.size()) + " scores but " +
                     std::to_string(p_skip.size()) + " skip probabilities");
  if (!std::isfinite(penalty) || penalty < 0.0f) throw UsageError("skip penalty must be a finite number >= 0");
  for (const float p : p_skip)
    if (!(p >= 0.0f && p <= 1.0f)) throw UsageError("apply_skip_penalty: a skip probability is outside [0, 1]");
  for (std::size_t i = 0; i < scores.size(); ++i) scores[i] -= penalty * p_skip[i];
}

}  // namespace segue
