// The evaluation report as one self-contained HTML page (inline CSS and SVG, no
// scripts, fonts or external URLs), rendered from the `segue eval --json` object.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/statistics.h"

namespace segue {

// Input: the JSON contract of `segue eval --json`, every field but "results"
// optional, plus optional extensions (all read defensively: a missing or
// mistyped field is left out of the page, never an error):
//
// {"title": "…", "dataset": "lastfm-hetrec-2k", "notes": "…" | ["…", …],
//  "protocol": "full" | "sampled:100" | …,  "k": [10, 20],
//  "results": [{
//    "model": "pop", "params": {…}, "users_evaluated": 1874,
//    "test_users": 1880, "cold_users": 4, "repeat_only_users": 2,     (optional,
//    "empty_list_users": 0, "short_list_users": 0,                     from EvalResult)
//    "metrics": {"ndcg@10": 0.123, …}, "ci95": {"ndcg@10": [lo, hi], …},
//    "fit_seconds": 0.01, "eval_seconds": 0.2,
//    "paired_test": {"ndcg@10": {"p_value": 0.003, "test": "wilcoxon",
//                                "p_holm": 0.006, "mean_diff": -0.01, "vs": "pop"}},  (p_holm, mean_diff, vs optional)
//    "activity_breakdown": {"metric": "ndcg@10", "buckets": [{"users": 470,
//        "min_train": 1, "max_train": 12, "mean": 0.1, "ci95": [lo, hi]}, …]},
//    "popularity_breakdown": {"k": 10, "rule": "item_share", "share": 0.2,
//        "head_items": 3500, "head_interaction_share": 0.7,
//        "head": {"users": …, "relevant": …, "recall": …, "recall_ci95": [lo, hi],
//                 "hit": …, "hit_ci95": [lo, hi]},
//        "tail": {…same…}},
//    "recall_curve": {"1": 0.01, "5": 0.04, "10": 0.07}}]}
//
// The first model is the baseline of the paired tests. Every string from the
// JSON is HTML-escaped. Zero models give a page that says so.
std::string render_report_html(const nlohmann::json& report);

// & < > " ' as entities.
std::string html_escape(std::string_view text);

// Builders for the optional fields above, so the CLI fills them exactly as the
// renderer reads them.
nlohmann::json ci_json(const MeanCI& ci);  // [lo, hi]
nlohmann::json activity_breakdown_json(std::string_view metric, const std::vector<ActivityBucket>& buckets);
nlohmann::json popularity_breakdown_json(const PopularityBreakdown& breakdown);
// {"k": value}; ks and values aligned (std::invalid_argument otherwise).
nlohmann::json recall_curve_json(std::span<const std::int32_t> ks, std::span<const double> values);
// {"p_value": wilcoxon_p or bootstrap_p, "test": "wilcoxon" | "paired-bootstrap",
//  "mean_diff": …, "vs": baseline}; p_holm is added by the caller once all
// models are tested (holm_adjust over the models' p-values of one metric).
nlohmann::json paired_test_json(const PairedTest& test, std::string_view baseline, bool use_wilcoxon = true);

}  // namespace segue
