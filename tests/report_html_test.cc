// Tests for eval/report_html: self-contained, well-formed, escaped, and
// complete for zero, one and several models.
#include "eval/report_html.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace segue {
namespace {

using nlohmann::json;

// Checks that every element opened is closed in order, treating the HTML void
// elements and self-closed SVG elements ("/>") as closed. Returns "" when the
// page is well formed, else what went wrong and where.
std::string check_tags(const std::string& html) {
  static const std::set<std::string> kVoid{"meta", "br", "hr", "img", "input", "link"};
  std::vector<std::string> open;
  std::size_t pos = 0;
  while ((pos = html.find('<', pos)) != std::string::npos) {
    if (html.compare(pos, 9, "<!DOCTYPE") == 0) {
      pos = html.find('>', pos);
      continue;
    }
    const std::size_t end = html.find('>', pos);
    if (end == std::string::npos) return "unterminated tag at " + std::to_string(pos);
    std::string tag = html.substr(pos + 1, end - pos - 1);
    const bool closing = !tag.empty() && tag[0] == '/';
    const bool self_closed = !tag.empty() && tag.back() == '/';
    if (closing) tag.erase(0, 1);
    const std::string name = tag.substr(0, tag.find_first_of(" /\n"));
    if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0]))) return "bad tag '" + tag + "'";
    if (closing) {
      if (open.empty() || open.back() != name)
        return "</" + name + "> closes <" + (open.empty() ? std::string("nothing") : open.back()) + "> at " +
               std::to_string(pos);
      open.pop_back();
    } else if (!self_closed && !kVoid.count(name)) {
      open.push_back(name);
    }
    // Raw text inside <style> may hold '<' only in theory; skip to its end.
    if (!closing && name == "style") {
      pos = html.find("</style>", end);
      continue;
    }
    pos = end + 1;
  }
  if (!open.empty()) return "<" + open.back() + "> never closed";
  return "";
}

void expect_self_contained(const std::string& html) {
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(check_tags(html), "");
}

json model(const std::string& name, double ndcg, double recall) {
  return json{{"model", name},
              {"params", {{"seed", 1}}},
              {"users_evaluated", 100},
              {"test_users", 103},
              {"cold_users", 2},
              {"repeat_only_users", 1},
              {"metrics", {{"ndcg@10", ndcg}, {"recall@20", recall}, {"coverage@10", 0.5}}},
              {"ci95", {{"ndcg@10", {ndcg - 0.01, ndcg + 0.01}}, {"recall@20", {recall - 0.02, recall + 0.02}}}},
              {"fit_seconds", 0.5},
              {"eval_seconds", 1.25}};
}

json full_report() {
  json a = model("pop", 0.1, 0.2);
  json b = model("random", 0.01, 0.03);
  json c = model("<b>&\"", 0.2, 0.25);
  for (json* r : {&a, &b, &c}) {
    (*r)["activity_breakdown"] = {{"metric", "ndcg@10"},
                                  {"buckets",
                                   {{{"users", 50}, {"min_train", 1}, {"max_train", 9}, {"mean", 0.05}, {"ci95", {0.04, 0.06}}},
                                    {{"users", 50}, {"min_train", 10}, {"max_train", 90}, {"mean", 0.15}, {"ci95", {0.1, 0.2}}}}}};
    (*r)["popularity_breakdown"] = {{"k", 10}, {"rule", "item_share"}, {"share", 0.2}, {"head_items", 20},
                                    {"head_interaction_share", 0.7},
                                    {"head", {{"users", 80}, {"relevant", 200}, {"recall", 0.3}, {"recall_ci95", {0.25, 0.35}},
                                              {"hit", 0.5}, {"hit_ci95", {0.4, 0.6}}}},
                                    {"tail", {{"users", 60}, {"relevant", 90}, {"recall", 0.02}, {"hit", 0.05}}}};
    (*r)["recall_curve"] = {{"1", 0.01}, {"5", 0.04}, {"10", 0.08}, {"20", 0.12}};
  }
  b["paired_test"] = {{"ndcg@10", {{"p_value", 0.0001}, {"test", "wilcoxon"}, {"mean_diff", -0.09}, {"p_holm", 0.0002}}}};
  c["paired_test"] = {{"ndcg@10", {{"p_value", 0.2}, {"test", "wilcoxon"}, {"mean_diff", 0.1}}}};
  return json{{"title", "Last.fm <2k>"}, {"dataset", "lastfm & co"}, {"protocol", "full"}, {"k", {10, 20}},
              {"notes", {"split: random, seed 1"}}, {"results", {a, b, c}}};
}

TEST(ReportHtml, IsSelfContainedAndWellFormed) {
  const std::string html = render_report_html(full_report());
  expect_self_contained(html);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("<polyline"), std::string::npos);  // the recall curve
  EXPECT_NE(html.find("By user activity"), std::string::npos);
  EXPECT_NE(html.find("By item popularity"), std::string::npos);
  EXPECT_NE(html.find("Is the difference real?"), std::string::npos);
}

TEST(ReportHtml, EscapesEveryStringFromTheJson) {
  const std::string html = render_report_html(full_report());
  EXPECT_EQ(html.find("<b>&\""), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;&amp;&quot;"), std::string::npos);
  EXPECT_NE(html.find("Last.fm &lt;2k&gt;"), std::string::npos);
  EXPECT_NE(html.find("lastfm &amp; co"), std::string::npos);
  EXPECT_EQ(html_escape("a'b"), "a&#39;b");
}

TEST(ReportHtml, ShowsEveryModelAndMetricWithBestInBoldAndCIAsPlusMinus) {
  const std::string html = render_report_html(full_report());
  for (const char* name : {">pop<", ">random<", "&lt;b&gt;&amp;&quot;", "ndcg@10", "recall@20", "coverage@10"})
    EXPECT_NE(html.find(name), std::string::npos) << name;
  EXPECT_NE(html.find("<strong>0.2000</strong><span class=\"ci\"> ± 0.0100</span>"), std::string::npos);  // best ndcg
  EXPECT_NE(html.find(">0.1000<span class=\"ci\"> ± 0.0100</span>"), std::string::npos);                 // not best
  EXPECT_NE(html.find("All models: 100 evaluated of 103 test users; excluded: 2 without training data"),
            std::string::npos);
  EXPECT_NE(html.find("Full ranking"), std::string::npos);
}

TEST(ReportHtml, SingleModelWithoutCIOrExtras) {
  json r = model("pop", 0.1, 0.2);
  r.erase("ci95");
  const std::string html = render_report_html(json{{"protocol", "full"}, {"k", {10}}, {"results", {r}}});
  expect_self_contained(html);
  EXPECT_NE(html.find("<strong>0.1000</strong></td>"), std::string::npos);  // no ± without a CI
  EXPECT_EQ(html.find("class=\"whisker\""), std::string::npos);
  EXPECT_EQ(html.find("By user activity"), std::string::npos);
  EXPECT_EQ(html.find("Is the difference real?"), std::string::npos);
  EXPECT_NE(html.find("1 model"), std::string::npos);
}

TEST(ReportHtml, ZeroModelsGiveAClearMessage) {
  for (const json& report : {json{{"protocol", "full"}, {"results", json::array()}}, json::object(), json(42)}) {
    const std::string html = render_report_html(report);
    expect_self_contained(html);
    EXPECT_NE(html.find("No models were evaluated"), std::string::npos);
  }
}

TEST(ReportHtml, MistypedFieldsAreLeftOutNotFatal) {
  json r = model("pop", 0.1, 0.2);
  r["metrics"]["ndcg@10"] = "high";
  r["ci95"]["recall@20"] = {1};
  r["recall_curve"] = {{"x", 1}, {"5", "y"}};
  r["activity_breakdown"] = 7;
  const std::string html = render_report_html(json{{"results", {r}}, {"k", "ten"}, {"notes", 3}});
  expect_self_contained(html);
  EXPECT_EQ(html.find("<polyline"), std::string::npos);
  EXPECT_NE(html.find("recall@20"), std::string::npos);
}

TEST(ReportHtml, UserAccountingPerModelWhenCountsDiffer) {
  json a = model("pop", 0.1, 0.2);
  json b = model("recs", 0.1, 0.2);
  b["users_evaluated"] = 90;
  b["empty_list_users"] = 3;
  const std::string html = render_report_html(json{{"results", {a, b}}});
  EXPECT_NE(html.find("<br>pop: 100 evaluated"), std::string::npos);
  EXPECT_NE(html.find("<br>recs: 90 evaluated"), std::string::npos);
  EXPECT_NE(html.find("3 had an empty list"), std::string::npos);
  EXPECT_EQ(html.find("All models"), std::string::npos);
}

TEST(ReportHtml, SampledProtocolIsNamed) {
  const std::string html = render_report_html(json{{"protocol", "sampled:100"}, {"results", {model("pop", 0.1, 0.2)}}});
  EXPECT_NE(html.find("Protocol sampled:100"), std::string::npos);
  EXPECT_EQ(html.find("Full ranking"), std::string::npos);
}

TEST(ReportJson, BuildersMatchWhatTheRendererReads) {
  PopularityBreakdown pop;
  pop.k = 10;
  pop.head_items = 3;
  pop.head.users = 2;
  pop.head.recall_ci = {0.5, 0.4, 0.6};
  const json p = popularity_breakdown_json(pop);
  EXPECT_EQ(p["rule"], "item_share");
  EXPECT_EQ(p["head"]["recall_ci95"], json::array({0.4, 0.6}));
  const std::vector<ActivityBucket> buckets{{10, 1, 5, {0.2, 0.1, 0.3}}};
  const json a = activity_breakdown_json("ndcg@10", buckets);
  EXPECT_EQ(a["buckets"][0]["max_train"], 5);
  EXPECT_EQ(a["buckets"][0]["mean"], 0.2);
  const std::vector<std::int32_t> ks{1, 10};
  const std::vector<double> values{0.1, 0.3};
  EXPECT_EQ(recall_curve_json(ks, values)["10"], 0.3);
  EXPECT_THROW(recall_curve_json(ks, std::vector<double>{0.1}), std::invalid_argument);
  PairedTest t;
  t.wilcoxon_p = 0.02;
  t.wilcoxon_exact = true;
  EXPECT_EQ(paired_test_json(t, "pop")["p_value"], 0.02);
  EXPECT_EQ(paired_test_json(t, "pop")["vs"], "pop");

  json r = model("pop", 0.1, 0.2);
  r["activity_breakdown"] = a;
  r["popularity_breakdown"] = p;
  r["recall_curve"] = recall_curve_json(ks, values);
  const std::string html = render_report_html(json{{"results", {r}}});
  expect_self_contained(html);
  EXPECT_NE(html.find("1–5"), std::string::npos);
  EXPECT_NE(html.find("<polyline"), std::string::npos);
  EXPECT_NE(html.find("Recall@10"), std::string::npos);
}

}  // namespace
}  // namespace segue
