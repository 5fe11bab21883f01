// Filters over a Dataset. All of them funnel into compact(), which drops
// events/users/items by mask in one pass and keeps every side array aligned.
#include "data/filters.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "data/error.h"

namespace segue {
namespace {

// Old id -> new id (-1 = dropped) and the kept old ids in order.
struct Renumber {
  std::vector<std::int32_t> to_new;
  std::vector<std::int32_t> kept;
  bool identity = true;
};

Renumber renumber(const std::vector<char>* keep, std::int32_t n) {
  Renumber r;
  r.to_new.assign(static_cast<std::size_t>(n), -1);
  r.kept.reserve(static_cast<std::size_t>(n));
  for (std::int32_t i = 0; i < n; ++i) {
    if (keep != nullptr && !(*keep)[i]) {
      r.identity = false;
      continue;
    }
    r.to_new[i] = static_cast<std::int32_t>(r.kept.size());
    r.kept.push_back(i);
  }
  return r;
}

template <class T>
std::vector<T> filter_by_mask(std::span<const T> in, const std::vector<char>& mask, std::int64_t kept) {
  std::vector<T> out;
  if (in.empty()) return out;
  out.reserve(static_cast<std::size_t>(kept));
  for (std::size_t e = 0; e < in.size(); ++e)
    if (mask[e]) out.push_back(in[e]);
  return out;
}

template <class T>
std::vector<T> gather_rows(const std::vector<T>& in, const std::vector<std::int32_t>& rows) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (std::int32_t r : rows) out.push_back(in[r]);
  return out;
}

Attributes subset_attributes(const Attributes& in, const Renumber& rows) {
  if (rows.identity) return in;
  Attributes out;
  for (const auto& column : in.strings) out.strings.push_back({column.name, gather_rows(column.values, rows.kept)});
  for (const auto& column : in.numbers) out.numbers.push_back({column.name, gather_rows(column.values, rows.kept)});
  const TokenLists& tags = in.tags;
  out.tags.vocab = tags.vocab;
  if (tags.indptr.size() == rows.to_new.size() + 1) {
    out.tags.indptr.assign(1, 0);
    for (std::int32_t r : rows.kept) {
      for (std::int64_t k = tags.indptr[r]; k < tags.indptr[r + 1]; ++k) {
        out.tags.tokens.push_back(tags.tokens[k]);
        out.tags.counts.push_back(tags.counts[k]);
      }
      out.tags.indptr.push_back(static_cast<std::int64_t>(out.tags.tokens.size()));
    }
  }
  return out;
}

SocialGraph subset_friends(const SocialGraph& in, const Renumber& users) {
  if (users.identity || in.indptr.size() != users.to_new.size() + 1) return in;
  SocialGraph out;
  for (std::int32_t u : users.kept) {
    for (std::int64_t k = in.indptr[u]; k < in.indptr[u + 1]; ++k) {
      const std::int32_t v = users.to_new[in.neighbors[k]];
      if (v >= 0) out.neighbors.push_back(v);  // edges to dropped users go with them
    }
    out.indptr.push_back(out.edges());
  }
  return out;
}

// The one place that rebuilds a Dataset. Null masks keep everything; events of
// dropped users or items are dropped too. `weights` (one per event) replaces
// the weight array when given.
Dataset compact(const Dataset& data, const std::vector<char>* keep_events, const std::vector<char>* keep_users,
                const std::vector<char>* keep_items, const std::vector<float>* weights = nullptr) {
  const Interactions& x = data.interactions;
  const Renumber users = renumber(keep_users, x.n_users);
  const Renumber items = renumber(keep_items, x.n_items);

  std::vector<char> mask(static_cast<std::size_t>(x.size()), 1);
  std::int64_t kept = 0;
  for (std::int32_t u = 0; u < x.n_users; ++u) {
    const bool user_alive = users.to_new[u] >= 0;
    for (std::int64_t e = x.begin(u); e < x.end(u); ++e) {
      const bool alive = user_alive && items.to_new[x.items[e]] >= 0 && (keep_events == nullptr || (*keep_events)[e]);
      mask[e] = alive ? 1 : 0;
      kept += alive ? 1 : 0;
    }
  }

  Dataset out;
  out.users = users.identity ? data.users : data.users.subset(users.kept);
  out.items = items.identity ? data.items : data.items.subset(items.kept);
  out.sessions = data.sessions;
  out.event_names = data.event_names;
  out.event_signal = data.event_signal;
  out.source = data.source;

  Interactions& y = out.interactions;
  y.n_users = static_cast<std::int32_t>(users.kept.size());
  y.n_items = static_cast<std::int32_t>(items.kept.size());
  y.indptr.assign(1, 0);
  y.indptr.reserve(users.kept.size() + 1);
  y.items.reserve(static_cast<std::size_t>(kept));
  for (std::int32_t u : users.kept) {
    for (std::int64_t e = x.begin(u); e < x.end(u); ++e)
      if (mask[e]) y.items.push_back(items.to_new[x.items[e]]);
    y.indptr.push_back(static_cast<std::int64_t>(y.items.size()));
  }
  const std::span<const float> weights_in = weights != nullptr ? std::span<const float>(*weights) : x.weights;
  y.weights = filter_by_mask<float>(weights_in, mask, kept);
  y.timestamps = filter_by_mask<std::int64_t>(x.timestamps, mask, kept);
  y.events = filter_by_mask<std::int16_t>(x.events, mask, kept);
  y.sessions = filter_by_mask<std::int32_t>(x.sessions, mask, kept);
  y.positions = filter_by_mask<std::int32_t>(x.positions, mask, kept);
  for (const ContextColumn& column : x.context) {
    ContextColumn c;
    c.name = column.name;
    c.categorical = column.categorical;
    c.vocab = column.vocab;
    c.codes = filter_by_mask<std::int32_t>(column.codes, mask, kept);
    c.values = filter_by_mask<float>(column.values, mask, kept);
    y.context.push_back(std::move(c));
  }

  out.user_attributes = subset_attributes(data.user_attributes, users);
  out.item_attributes = subset_attributes(data.item_attributes, items);
  out.friends = subset_friends(data.friends, users);
  return out;
}

// Distinct (user, item) pairs in CSR by user, then by item, for the k-core peel.
struct PairGraph {
  std::vector<std::int64_t> user_ptr;
  std::vector<std::int32_t> user_items;
  std::vector<std::int64_t> item_ptr;
  std::vector<std::int32_t> item_users;
};

PairGraph distinct_pairs(const Interactions& x) {
  PairGraph g;
  g.user_ptr.assign(static_cast<std::size_t>(x.n_users) + 1, 0);
  g.user_items.reserve(static_cast<std::size_t>(x.size()));
  std::vector<std::int32_t> last_user(static_cast<std::size_t>(x.n_items), -1);  // dedupe without sorting
  std::vector<std::int64_t> item_count(static_cast<std::size_t>(x.n_items) + 1, 0);
  for (std::int32_t u = 0; u < x.n_users; ++u) {
    for (std::int64_t e = x.begin(u); e < x.end(u); ++e) {
      const std::int32_t i = x.items[e];
      if (last_user[i] == u) continue;
      last_user[i] = u;
      g.user_items.push_back(i);
      ++item_count[i + 1];
    }
    g.user_ptr[u + 1] = static_cast<std::int64_t>(g.user_items.size());
  }
  for (std::size_t i = 1; i < item_count.size(); ++i) item_count[i] += item_count[i - 1];
  g.item_ptr = item_count;
  g.item_users.resize(g.user_items.size());
  for (std::int32_t u = 0; u < x.n_users; ++u)
    for (std::int64_t k = g.user_ptr[u]; k < g.user_ptr[u + 1]; ++k) g.item_users[item_count[g.user_items[k]]++] = u;
  return g;
}

std::vector<char> all_ones(std::int64_t n) { return std::vector<char>(static_cast<std::size_t>(n), 1); }

}  // namespace

Dataset select_events(const Dataset& data, const std::vector<char>& keep) {
  if (static_cast<std::int64_t>(keep.size()) != data.interactions.size())
    throw std::invalid_argument("select_events: mask has " + std::to_string(keep.size()) + " entries for " +
                                std::to_string(data.interactions.size()) + " events");
  return compact(data, &keep, nullptr, nullptr);
}

Dataset drop_unused(const Dataset& data, bool users, bool items) {
  const Interactions& x = data.interactions;
  std::vector<char> used_users(static_cast<std::size_t>(x.n_users), 1);
  std::vector<char> used_items(static_cast<std::size_t>(x.n_items), 0);
  for (std::int32_t u = 0; u < x.n_users; ++u) used_users[u] = x.count(u) > 0 ? 1 : 0;
  for (std::int32_t i : x.items) used_items[i] = 1;
  return compact(data, nullptr, users ? &used_users : nullptr, items ? &used_items : nullptr);
}

Dataset kcore(const Dataset& data, int min_user, int min_item) {
  if (min_user < 0 || min_item < 0)
    throw UsageError("kcore: thresholds must be >= 0, got users=" + std::to_string(min_user) +
                     " items=" + std::to_string(min_item));
  const Interactions& x = data.interactions;
  const PairGraph g = distinct_pairs(x);

  // Peel: a node is marked dead when pushed; popping it lowers its live
  // neighbours' degrees, which may push them in turn. Linear in the pairs.
  std::vector<std::int64_t> user_degree(static_cast<std::size_t>(x.n_users));
  std::vector<std::int64_t> item_degree(static_cast<std::size_t>(x.n_items));
  std::vector<char> user_alive = all_ones(x.n_users);
  std::vector<char> item_alive = all_ones(x.n_items);
  std::vector<std::int32_t> user_stack, item_stack;
  for (std::int32_t u = 0; u < x.n_users; ++u) {
    user_degree[u] = g.user_ptr[u + 1] - g.user_ptr[u];
    if (user_degree[u] < min_user) {
      user_alive[u] = 0;
      user_stack.push_back(u);
    }
  }
  for (std::int32_t i = 0; i < x.n_items; ++i) {
    item_degree[i] = g.item_ptr[i + 1] - g.item_ptr[i];
    if (item_degree[i] < min_item) {
      item_alive[i] = 0;
      item_stack.push_back(i);
    }
  }
  while (!user_stack.empty() || !item_stack.empty()) {
    while (!user_stack.empty()) {
      const std::int32_t u = user_stack.back();
      user_stack.pop_back();
      for (std::int64_t k = g.user_ptr[u]; k < g.user_ptr[u + 1]; ++k) {
        const std::int32_t i = g.user_items[k];
        if (item_alive[i] && --item_degree[i] < min_item) {
          item_alive[i] = 0;
          item_stack.push_back(i);
        }
      }
    }
    while (!item_stack.empty()) {
      const std::int32_t i = item_stack.back();
      item_stack.pop_back();
      for (std::int64_t k = g.item_ptr[i]; k < g.item_ptr[i + 1]; ++k) {
        const std::int32_t u = g.item_users[k];
        if (user_alive[u] && --user_degree[u] < min_user) {
          user_alive[u] = 0;
          user_stack.push_back(u);
        }
      }
    }
  }
  return compact(data, nullptr, &user_alive, &item_alive);
}

Duplicates parse_duplicates(const std::string& text) {
  if (text == "keep") return Duplicates::kKeep;
  if (text == "sum") return Duplicates::kSum;
  if (text == "max") return Duplicates::kMax;
  if (text == "first") return Duplicates::kFirst;
  if (text == "last") return Duplicates::kLast;
  throw UsageError("duplicates: unknown policy '" + text + "' (expected keep, sum, max, first or last)");
}

const char* to_string(Duplicates duplicates) {
  switch (duplicates) {
    case Duplicates::kKeep: return "keep";
    case Duplicates::kSum: return "sum";
    case Duplicates::kMax: return "max";
    case Duplicates::kFirst: return "first";
    case Duplicates::kLast: return "last";
  }
  return "keep";
}

Dataset merge_duplicates(const Dataset& data, Duplicates duplicates) {
  const Interactions& x = data.interactions;
  if (duplicates == Duplicates::kKeep) return data;
  std::vector<char> keep(static_cast<std::size_t>(x.size()), 0);
  std::vector<float> weights(static_cast<std::size_t>(x.size()));
  for (std::int64_t e = 0; e < x.size(); ++e) weights[e] = x.weight(e);

  // Per user: sort (item, event type, event) keys so each group is one run,
  // with its events in the user's order. The buffer is reused across users.
  std::vector<std::pair<std::uint64_t, std::int64_t>> run;
  for (std::int32_t u = 0; u < x.n_users; ++u) {
    run.clear();
    for (std::int64_t e = x.begin(u); e < x.end(u); ++e) {
      const auto event = static_cast<std::uint16_t>(x.event(e));
      run.emplace_back((static_cast<std::uint64_t>(x.items[e]) << 16) | event, e);
    }
    std::sort(run.begin(), run.end());
    for (std::size_t a = 0; a < run.size();) {
      std::size_t b = a + 1;
      while (b < run.size() && run[b].first == run[a].first) ++b;
      const std::int64_t first = run[a].second;
      const std::int64_t last = run[b - 1].second;
      if (duplicates == Duplicates::kLast) {
        keep[last] = 1;
      } else {
        keep[first] = 1;
        float combined = weights[first];
        for (std::size_t k = a + 1; k < b; ++k) {
          const float w = weights[run[k].second];
          combined = duplicates == Duplicates::kSum ? combined + w : (duplicates == Duplicates::kMax ? std::max(combined, w) : combined);
        }
        weights[first] = combined;
      }
      a = b;
    }
  }
  const bool new_weights = duplicates == Duplicates::kSum || duplicates == Duplicates::kMax;
  return compact(data, &keep, nullptr, nullptr, new_weights ? &weights : nullptr);
}

Dataset filter_min_weight(const Dataset& data, float min_weight) {
  if (std::isnan(min_weight)) throw UsageError("min_weight: must be a number, got NaN");
  const Interactions& x = data.interactions;
  std::vector<char> keep(static_cast<std::size_t>(x.size()));
  for (std::int64_t e = 0; e < x.size(); ++e) keep[e] = x.weight(e) >= min_weight ? 1 : 0;
  return compact(data, &keep, nullptr, nullptr);
}

namespace {

FilterStep step_between(const char* name, const Dataset& before, const Dataset& after) {
  return FilterStep{name, before.interactions.size() - after.interactions.size(),
                    static_cast<std::int64_t>(before.n_users()) - after.n_users(),
                    static_cast<std::int64_t>(before.n_items()) - after.n_items()};
}

}  // namespace

Dataset apply_filters(const Dataset& data, const FilterOptions& options, FilterReport* report) {
  FilterReport local;
  local.events_before = data.interactions.size();
  local.users_before = data.n_users();
  local.items_before = data.n_items();
  Dataset current = data;
  if (options.duplicates != Duplicates::kKeep) {
    Dataset next = merge_duplicates(current, options.duplicates);
    local.steps.push_back(step_between("duplicates", current, next));
    current = std::move(next);
  }
  if (options.min_weight > 0 || std::isnan(options.min_weight)) {
    Dataset next = filter_min_weight(current, options.min_weight);
    local.steps.push_back(step_between("min_weight", current, next));
    current = std::move(next);
  }
  if (options.kcore_users > 0 || options.kcore_items > 0 || options.kcore_users < 0 || options.kcore_items < 0) {
    Dataset next = kcore(current, options.kcore_users, options.kcore_items);
    local.steps.push_back(step_between("kcore", current, next));
    current = std::move(next);
  }
  local.events_after = current.interactions.size();
  local.users_after = current.n_users();
  local.items_after = current.n_items();
  if (report != nullptr) *report = std::move(local);
  return current;
}

std::string FilterReport::summary() const {
  std::ostringstream out;
  for (const FilterStep& step : steps)
    out << step.name << ": removed " << step.events_removed << " events, " << step.users_removed << " users, "
        << step.items_removed << " items\n";
  out << "kept " << events_after << " of " << events_before << " events, " << users_after << " of " << users_before
      << " users, " << items_after << " of " << items_before << " items\n";
  return out.str();
}

}  // namespace segue
