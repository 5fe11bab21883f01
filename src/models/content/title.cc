#include "models/content/title.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "data/error.h"
#include "features/item_features.h"
#include "io/model_file.h"

namespace segue {
namespace {

std::unique_ptr<Recommender> make_title(const ModelSpec& spec) { return std::make_unique<TitleModel>(spec); }

}  // namespace

ModelInfo title_info() {
  return ModelInfo{"title",
                   "playlist title -> tracks of training playlists with the same title words (needs titles: "
                   "train --user-names)",
                   {int_param("min_df", 1, 1, 1e6, "words in fewer training titles are ignored"),
                    int_param("top_items", 500, 1, 1e6, "items kept per word"),
                    float_param("pop_weight", 0.01, 0.0, 100.0, "popularity prior")},
                   &make_title,
                   "min_df=1:10,top_items=50:2000:log,pop_weight=0:0.2"};
}

TitleModel::TitleModel(const ModelSpec& spec) : Recommender(spec) {}

std::vector<std::string> TitleModel::words_of(std::string_view title) const {
  std::vector<std::string> words = tokenize_words(title);
  std::string whole;
  for (const std::string& w : words) whole += (whole.empty() ? "" : " ") + w;
  if (!whole.empty()) words.push_back("title=" + whole);
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  return words;
}

void TitleModel::fit_model(const FeedbackMatrix& train, const FitContext& context) {
  if (context.dataset == nullptr || context.dataset->user_attributes.strings.empty())
    throw UsageError("title needs playlist titles: give the training users' names (segue train --user-names FILE)");
  const Dataset& data = *context.dataset;
  user_titles_.assign(static_cast<std::size_t>(train.n_users), "");
  std::map<std::string, std::vector<std::int32_t>> users_by_word;
  std::int64_t titled = 0;
  for (std::int32_t u = 0; u < train.n_users && u < data.n_users(); ++u) {
    const std::string_view title = data.user_attributes.string_value("name", u);
    if (title.empty() || train.count(u) == 0) continue;
    user_titles_[static_cast<std::size_t>(u)] = std::string(title);
    ++titled;
    for (const std::string& w : words_of(title)) users_by_word[w].push_back(u);
  }
  if (titled == 0) throw UsageError("title: no training user has a 'name' (title)");
  const auto min_df = params().get_int("min_df");
  const auto top = static_cast<std::size_t>(params().get_int("top_items"));
  words_.clear();
  idf_.clear();
  indptr_.assign(1, 0);
  items_.clear();
  shares_.clear();
  std::unordered_map<std::int32_t, std::int32_t> counts;
  std::vector<std::pair<std::int32_t, std::int32_t>> ranked;
  for (const auto& [word, users] : users_by_word) {
    if (static_cast<std::int64_t>(users.size()) < min_df) continue;
    counts.clear();
    for (const std::int32_t u : users)
      for (const std::int32_t i : train.items_of(u)) ++counts[i];
    ranked.assign(counts.begin(), counts.end());
    const std::size_t keep = std::min(top, ranked.size());
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(keep), ranked.end(),
                      [](const auto& a, const auto& b) { return a.second > b.second || (a.second == b.second && a.first < b.first); });
    ranked.resize(keep);
    std::sort(ranked.begin(), ranked.end());
    words_.push_back(word);
    idf_.push_back(static_cast<float>(std::log(static_cast<double>(titled) / static_cast<double>(users.size())) + 1e-3));
    for (const auto& [item, n] : ranked) {
      items_.push_back(item);
      shares_.push_back(static_cast<float>(n) / static_cast<float>(users.size()));
    }
    indptr_.push_back(static_cast<std::int64_t>(items_.size()));
  }
  std::vector<std::int64_t> plays(static_cast<std::size_t>(train.n_items), 0);
  for (const std::int32_t i : train.indices) ++plays[static_cast<std::size_t>(i)];
  const std::int64_t most = plays.empty() ? 0 : *std::max_element(plays.begin(), plays.end());
  popularity_.assign(plays.size(), 0.0f);
  if (most > 0)
    for (std::size_t i = 0; i < plays.size(); ++i)
      popularity_[i] = static_cast<float>(std::log1p(static_cast<double>(plays[i])) / std::log1p(static_cast<double>(most)));
}

void TitleModel::score_title(std::string_view title, float* out) const {
  const float pop_weight = static_cast<float>(params().get_float("pop_weight"));
  for (std::size_t i = 0; i < popularity_.size(); ++i) out[i] = pop_weight * popularity_[i];
  for (const std::string& w : words_of(title)) {
    const auto it = std::lower_bound(words_.begin(), words_.end(), w);
    if (it == words_.end() || *it != w) continue;
    const auto k = static_cast<std::size_t>(it - words_.begin());
    for (std::int64_t j = indptr_[k]; j < indptr_[k + 1]; ++j) out[items_[static_cast<std::size_t>(j)]] += idf_[k] * shares_[static_cast<std::size_t>(j)];
  }
}

void TitleModel::score_users(std::span<const std::int32_t> users, float* out) const {
  for (std::size_t r = 0; r < users.size(); ++r)
    score_title(user_titles_[static_cast<std::size_t>(users[r])], out + r * static_cast<std::size_t>(n_items()));
}

void TitleModel::score_history(std::span<const std::int32_t> items, std::span<const float>, float* out) const {
  for (const std::int32_t item : items) check_item(item, "items");
  score_title("", out);
}

void TitleModel::save_model(ModelWriter& out) const {
  out.put_strings("title.words", words_);
  out.put("title.idf", idf_);
  out.put("title.indptr", indptr_);
  out.put("title.items", items_);
  out.put("title.shares", shares_);
  out.put("title.popularity", popularity_);
  out.put_strings("title.user_titles", user_titles_);
}

void TitleModel::load_model(const ModelReader& in) {
  words_ = in.get_strings("title.words");
  idf_ = in.get<float>("title.idf", words_.size());
  indptr_ = in.get<std::int64_t>("title.indptr", words_.size() + 1);
  items_ = in.get<std::int32_t>("title.items");
  shares_ = in.get<float>("title.shares", items_.size());
  popularity_ = in.get<float>("title.popularity", static_cast<std::uint64_t>(n_items()));
  user_titles_ = in.get_strings("title.user_titles");
  if (user_titles_.size() != static_cast<std::size_t>(n_users())) in.fail("title.user_titles", "one per user expected");
  if (indptr_.front() != 0 || indptr_.back() != static_cast<std::int64_t>(items_.size()))
    in.fail("title.indptr", "does not match the items");
  for (std::size_t k = 0; k + 1 < indptr_.size(); ++k)
    if (indptr_[k + 1] < indptr_[k]) in.fail("title.indptr", "not ascending");
  for (const std::int32_t i : items_)
    if (i < 0 || i >= n_items()) in.fail("title.items", "item out of range");
}

}  // namespace segue

SEGUE_REGISTER_MODEL(title, ::segue::title_info())
