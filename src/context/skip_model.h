// Skip-probability model: L2-regularised logistic regression, fitted by Newton's
// method (IRLS), predicting P(skip) for one listening event from the track's
// standardised audio features, its place in the session, the hour of day, the
// session's categorical context (context type, premium, reason the track
// started, reason the previous track ended), pre-play flags and the previous
// event's skip. Feature construction, the session split and the two prediction
// protocols: docs/CONTEXT.md. No real skip log has been measured with it.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"

namespace segue {

// The events of one listening session, in listening order.
struct SkipSession {
  std::string id;                    // session name (or the user's, for data without sessions)
  std::vector<std::int64_t> events;  // event indices, by rising position (import order if unknown)
  std::int64_t length = 0;           // session_length context when present, else the largest position / count
  bool ordered = false;              // every event has a position: "previous event" is known
};
// Every session of `data`: events with a session code group by it; events
// without one group by user.
std::vector<SkipSession> skip_sessions(const Dataset& data);

// Whether session `id` is held out for testing: a hash of (id, seed) mapped to
// [0, 1) falls below `fraction`. Deterministic, independent of order and of
// the other sessions; fraction 0 holds out none, 1 all.
bool is_test_session(std::string_view id, double fraction, std::uint64_t seed);

// Label of an event: its event type is named "skip".
bool is_skip_event(const Dataset& data, std::int64_t event);

struct SkipModelOptions {
  double l2 = 1.0;            // λ of λ/2·|w|² added to the summed log-loss (bias not penalised)
  int max_iterations = 30;    // Newton steps
  double tolerance = 1e-7;    // stop when the loss improves by less than this share
  double test_fraction = 0.0; // sessions held out (is_test_session), never trained on
  std::uint64_t seed = 42;
  bool previous_skip = true;  // use the previous event's skip as a feature
};

// How predict() treats what is known about a session.
enum class SkipProtocol {
  // Everything observable before the track starts: the previous track's skip
  // and end reason, this track's start reason and pre-play flags.
  kNextTrack,
  // The Sequential Skip Prediction Challenge: the first floor(n/2) events of a
  // session are fully observed; for later ones the session-log fields (reasons,
  // pre-play flags) are treated as missing and the previous skip, once inside
  // the second half, is the model's own prediction for that event.
  kChallenge,
};
SkipProtocol parse_skip_protocol(std::string_view text);  // "next-track" | "challenge"

struct SkipPrediction {
  std::string session;
  std::int64_t position = 0;  // 1-based; the order index when the data has no positions
  std::uint8_t skip = 0;
  float probability = 0.0f;
};

// Context for scoring candidate tracks (re-ranking): what item_probabilities()
// assumes about the session for every item. Categorical values by column name
// ("context_type", "premium", "hist_user_behavior_reason_start",
// "previous_reason_end"); numbers NaN = unknown (imputed like missing data).
struct SkipContext {
  float position = 1.0f;
  float session_length = 20.0f;
  float hour = std::numeric_limits<float>::quiet_NaN();
  float previous_skip = std::numeric_limits<float>::quiet_NaN();
  std::vector<std::pair<std::string, std::string>> categories;
};

struct SkipTrainReport {
  std::int64_t sessions = 0, events = 0, skips = 0, held_out_sessions = 0;
  int iterations = 0;
  double train_log_loss = 0.0;
  double train_auc = 0.0;
};

class SkipModel {
 public:
  // Learns from the sessions of `data` not held out. UsageError when no event
  // is left, or when the events are all skips or all plays.
  static SkipModel train(const Dataset& data, const SkipModelOptions& options, SkipTrainReport* report = nullptr);

  // Predictions for every event of the held-out sessions (or of all sessions
  // when `all_sessions`, or when the model held none out), session by session.
  std::vector<SkipPrediction> predict(const Dataset& data, SkipProtocol protocol, bool all_sessions = false) const;

  // P(skip) of every item row of `data` (its item attributes) in `context`.
  std::vector<float> item_probabilities(const Dataset& data, const SkipContext& context) const;

  // Model file: JSON (format "segue-skip-model"). load() throws InputError.
  void save(const std::string& path) const;
  static SkipModel load(const std::string& path);

  // Model-space names, one per weight: "audio:energy", "audio:energy:missing",
  // "position_fraction", "context_type=radio", "context_type=<other>", ...
  const std::vector<std::string>& feature_names() const { return names_; }
  std::span<const double> weights() const { return weights_; }
  double bias() const { return bias_; }
  double test_fraction() const { return test_fraction_; }
  // Whether the previous event's skip is a feature (false: trained with --no-previous-skip).
  bool uses_previous_skip() const { return previous_skip_; }
  // The item attributes (audio features) the model reads, without the
  // "audio:" prefix: "acousticness", "energy", ... Empty for a model trained
  // on a store without track features.
  std::vector<std::string> track_features() const;
  // The one-hot levels learned for a categorical ("context_type", ...), most
  // frequent first; empty when the model has no such categorical.
  std::vector<std::string> category_levels(std::string_view name) const;
  std::uint64_t seed() const { return seed_; }

  // Probability for a model-space feature vector (size feature_names()).
  double probability(std::span<const float> x) const;

  // Internal layout, public for the encoder in skip_model.cc.
  struct Numeric {
    std::string name;    // raw feature name ("audio:energy", "hour_sin", ...)
    double mean = 0.0;   // over training events with a value
    double scale = 1.0;  // standard deviation (1 when 0)
    bool flag = false;   // has a "<name>:missing" column (training had missing values)
  };
  struct Categorical {
    std::string name;  // context column name, or "previous_reason_end"
    std::vector<std::string> levels;  // one-hot levels; anything else -> "<other>"
  };

 private:
  std::vector<Numeric> numeric_;
  std::vector<Categorical> categorical_;
  std::vector<std::string> names_;
  std::vector<double> weights_;
  double bias_ = 0.0;
  double test_fraction_ = 0.0;
  std::uint64_t seed_ = 42;
  bool previous_skip_ = true;

  void build_names();
  friend class SkipEncoder;
};

// Re-ranking penalty: scores[i] -= penalty · p_skip[i]. UsageError when the
// sizes differ, penalty is negative or not finite, or a probability is
// outside [0, 1] (NaN included). See docs/CONTEXT.md for choosing penalty.
void apply_skip_penalty(std::span<float> scores, std::span<const float> p_skip, float penalty);

}  // namespace segue
