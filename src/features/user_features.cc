#include "features/user_features.h"

#include "data/error.h"

namespace segue {

// Placeholder until the reader lands (a helper is writing it).
FeatureMatrix build_user_features(const std::string& path, const IdMap&, UserFeatureReport*) {
  throw UsageError("--users " + path + ": user features are not implemented yet");
}

std::string UserFeatureReport::summary() const { return {}; }

}  // namespace segue
