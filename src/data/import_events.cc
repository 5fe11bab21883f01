// Importer of the service's event store (segue serve --events DB): every
// received event, in commit order, into a Dataset, so that the next training
// run learns from them (serve -> collect -> retrain -> reload).
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <unordered_map>

#include "data/dataset_builder.h"
#include "data/importer.h"
#include "serve/event_store.h"

namespace segue {
namespace {

// The context object of each event becomes per-event context columns: numbers
// are numeric columns, strings and booleans categorical ones; a key keeps the
// kind it had where it first appeared.
class ContextColumns {
 public:
  ContextColumns(DatasetBuilder& builder, const std::string& path) : builder_(builder), path_(path) {}

  // Parses and checks one event's context; sets nothing yet, so a bad row
  // leaves the builder untouched.
  void parse(const ReceivedEvent& event) {
    fields_.clear();
    if (event.context_json.empty()) return;
    const nlohmann::json object = nlohmann::json::parse(event.context_json, nullptr, false);
    if (object.is_discarded() || !object.is_object())
      throw error(event, "context", "expected a JSON object, got '" + event.context_json + "'");
    for (const auto& [key, value] : object.items()) {
      if (value.is_null()) continue;
      Field field{key, value.is_number(), value.is_number() ? value.get<double>() : 0.0, ""};
      if (field.numeric && !(std::fabs(field.number) <= std::numeric_limits<float>::max()))
        throw error(event, "context", "'" + key + "' is out of float range: " + value.dump());
      if (!field.numeric) field.category = value.is_string() ? value.get<std::string>() : value.dump();
      const auto known = kinds_.find(key);
      if (known != kinds_.end() && known->second != field.numeric)
        throw error(event, "context", "'" + key + "' is " + (field.numeric ? "a number" : "text") + " here but " +
                                          (known->second ? "a number" : "text") + " in earlier events");
      fields_.push_back(std::move(field));
    }
  }

  // Sets the parsed fields on the event just added.
  void set() {
    for (const Field& field : fields_) {
      kinds_.emplace(field.key, field.numeric);
      const int column = builder_.context_column(field.key, !field.numeric);
      if (field.numeric) {
        builder_.set_context(column, static_cast<float>(field.number));
      } else {
        builder_.set_context(column, std::string_view(field.category));
      }
    }
  }

  InputError error(const ReceivedEvent& event, const char* field, const std::string& what) const {
    return InputError(path_, 0, field, "row with sequence " + std::to_string(event.sequence) + ": " + what);
  }

 private:
  struct Field {
    std::string key;
    bool numeric = false;
    double number = 0;
    std::string category;
  };
  DatasetBuilder& builder_;
  const std::string& path_;
  std::vector<Field> fields_;
  std::unordered_map<std::string, bool> kinds_;  // key -> numeric
};

}  // namespace

Dataset import_events(const std::string& path, const ImportOptions& options, IssueLog& issues) {
  DatasetBuilder builder(options.signal);
  ContextColumns context(builder, path);
  read_event_store(path, [&](const ReceivedEvent& received) {
    try {
      DatasetBuilder::Event event;
      event.event = builder.event_code(received.event);
      if (event.event < 0)
        throw context.error(received, "event",
                            "unknown event type '" + received.event + "' (declare it with --signal " + received.event +
                                "=VALUE)");
      if (!(received.weight >= 0) || !std::isfinite(received.weight))
        throw context.error(received, "weight", "expected a finite number >= 0, got " + std::to_string(received.weight));
      context.parse(received);
      event.weight = received.weight;
      // 0 is what an event without a time would carry: the server stamps
      // arrival, so a stored 0 means "unknown", not 1970.
      event.time = received.timestamp == 0 ? kNoTime : received.timestamp;
      if (!received.session.empty()) event.session = builder.session(received.session);
      event.user = builder.user(received.user);
      event.item = builder.item(received.item);
      builder.add(event);
      context.set();
    } catch (const InputError& error) {
      issues.report(error);  // throws under --on-error fail
    }
  });
  if (builder.events() == 0 && issues.skipped() == 0) throw InputError(path, 0, "", "the event store has no events");
  return builder.finish("events:" + path);
}

}  // namespace segue
