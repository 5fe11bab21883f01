// Renders the evaluation JSON into one self-contained HTML page: a results
// table, per-metric bar charts with CI whiskers, breakdowns and a recall@k curve.
#include "eval/report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>

namespace segue {
namespace {

using nlohmann::json;

// Okabe–Ito: distinguishable with the common colour-vision deficiencies.
// Yellow is last because it reads poorly on white.
constexpr const char* kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                    "#D55E00", "#56B4E9", "#444444", "#F0E442"};
constexpr std::size_t kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);
// Lines also differ by dash pattern, so series stay apart in greyscale too.
constexpr const char* kDashes[] = {"", "6 3", "2 3", "8 3 2 3"};

const char* colour(std::size_t series) { return kPalette[series % kPaletteSize]; }
const char* dash(std::size_t series) { return kDashes[(series / kPaletteSize + series) % 4]; }

// ---- defensive JSON access --------------------------------------------------

const json* field(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::optional<double> number(const json* value) {
  if (value == nullptr || !value->is_number()) return std::nullopt;
  const double v = value->get<double>();
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}
std::optional<double> number(const json& object, const char* key) { return number(field(object, key)); }

std::string text(const json& object, const char* key) {
  const json* value = field(object, key);
  if (value == nullptr || value->is_null()) return {};
  if (value->is_string()) return value->get<std::string>();
  return value->dump();
}

std::optional<std::pair<double, double>> interval(const json* value) {
  if (value == nullptr || !value->is_array() || value->size() != 2) return std::nullopt;
  const auto lo = number(&(*value)[0]);
  const auto hi = number(&(*value)[1]);
  if (!lo || !hi) return std::nullopt;
  return std::make_pair(std::min(*lo, *hi), std::max(*lo, *hi));
}

// ---- formatting ---------------------------------------------------------------

std::string format(const char* pattern, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, pattern, value);
  return buffer;
}

// Metric values: four decimals in [0, 10), else three significant digits or more.
std::string metric_text(double value) {
  return std::abs(value) < 10.0 ? format("%.4f", value) : format("%.4g", value);
}

std::string seconds_text(double value) { return value < 10.0 ? format("%.3f", value) : format("%.1f", value); }

std::string p_text(double p) { return p < 0.001 ? std::string("&lt;0.001") : format("%.3f", p); }

// Bar labels: three decimals below 1, fewer digits above.
std::string short_value(double value) { return std::abs(value) < 1.0 ? format("%.3f", value) : format("%.3g", value); }

std::string integer_text(double value) { return format("%.0f", value); }

// ---- metric order -----------------------------------------------------------

// Accuracy first, in the order people usually read them, then the rest.
int family_rank(const std::string& family) {
  static const char* order[] = {"ndcg", "recall", "precision", "map", "mrr", "hit", "f1", "coverage"};
  for (int i = 0; i < 8; ++i)
    if (family == order[i]) return i;
  return 100;
}

std::pair<std::string, long> split_metric(const std::string& name) {
  const auto at = name.find('@');
  if (at == std::string::npos) return {name, 0};
  char* end = nullptr;
  const long k = std::strtol(name.c_str() + at + 1, &end, 10);
  return {name.substr(0, at), k};
}

std::vector<std::string> metric_names(const json& results) {
  std::vector<std::string> names;
  for (const json& result : results) {
    const json* metrics = field(result, "metrics");
    if (metrics == nullptr || !metrics->is_object()) continue;
    for (auto it = metrics->begin(); it != metrics->end(); ++it)
      if (std::find(names.begin(), names.end(), it.key()) == names.end()) names.push_back(it.key());
  }
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    const auto [fa, ka] = split_metric(a);
    const auto [fb, kb] = split_metric(b);
    if (family_rank(fa) != family_rank(fb)) return family_rank(fa) < family_rank(fb);
    if (fa != fb) return fa < fb;
    return ka < kb;
  });
  return names;
}

// ---- SVG helpers ------------------------------------------------------------

// An axis from 0 with round ticks: the step is 1, 2 or 5 × 10^n, chosen for
// at most 5 intervals, and the top is the first tick at or above the maximum.
struct Axis {
  double top = 1.0;
  double step = 0.25;
  int ticks = 4;     // intervals
  int decimals = 2;  // enough to write the step exactly

  std::string label(int tick) const { return format(("%." + std::to_string(decimals) + "f").c_str(), step * tick); }
};

Axis nice_axis(double max_value) {
  Axis axis;
  if (!(max_value > 0.0)) return axis;
  const double rough = max_value / 5.0;
  const double magnitude = std::pow(10.0, std::floor(std::log10(rough)));
  double step = 10.0 * magnitude;
  for (double mantissa : {1.0, 2.0, 5.0})
    if (mantissa * magnitude >= rough) {
      step = mantissa * magnitude;
      break;
    }
  axis.step = step;
  axis.ticks = std::max(1, static_cast<int>(std::ceil(max_value / step - 1e-9)));
  axis.top = step * axis.ticks;
  axis.decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  return axis;
}

// At most max_bytes bytes, cut on a UTF-8 character boundary, with an ellipsis when cut.
std::string shorten(const std::string& label, std::size_t max_bytes) {
  if (label.size() <= max_bytes) return label;
  std::size_t end = max_bytes - 1;
  while (end > 0 && (static_cast<unsigned char>(label[end]) & 0xC0) == 0x80) --end;
  return label.substr(0, end) + "…";
}

std::string px(double value) { return format("%.1f", value); }

struct BarValue {
  double value = 0.0;
  std::optional<std::pair<double, double>> ci;
};

// Horizontal bars, one per model, with the CI as a whisker and the value
// written after the bar. Used for the per-metric small multiples.
std::string horizontal_bars(const std::string& title, const std::vector<std::string>& labels,
                            const std::vector<std::optional<BarValue>>& bars) {
  constexpr double kLabel = 130, kPlot = 170, kValue = 60, kRow = 24, kTop = 8, kAxis = 22;
  const double width = kLabel + kPlot + kValue;
  const double height = kTop + kRow * static_cast<double>(bars.size()) + kAxis;
  double top = 0.0;
  for (const auto& bar : bars)
    if (bar) top = std::max({top, bar->value, bar->ci ? bar->ci->second : 0.0});
  const Axis axis = nice_axis(top);
  const auto x_of = [&](double v) { return kLabel + kPlot * std::clamp(v / axis.top, 0.0, 1.0); };

  std::string svg = "<figure class=\"chart\"><figcaption>" + html_escape(title) + "</figcaption>";
  svg += "<svg viewBox=\"0 0 " + px(width) + " " + px(height) + "\" role=\"img\" aria-label=\"" + html_escape(title) +
         " by model\">";
  for (int t = 0; t <= axis.ticks; ++t) {
    const double x = x_of(axis.step * t);
    svg += "<line x1=\"" + px(x) + "\" y1=\"" + px(kTop) + "\" x2=\"" + px(x) + "\" y2=\"" + px(height - kAxis) +
           "\" class=\"grid\"/>";
    svg += "<text x=\"" + px(x) + "\" y=\"" + px(height - 6) + "\" class=\"tick\" text-anchor=\"middle\">" +
           axis.label(t) + "</text>";
  }
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const double y = kTop + kRow * static_cast<double>(i);
    svg += "<text x=\"" + px(kLabel - 6) + "\" y=\"" + px(y + kRow / 2 + 4) + "\" text-anchor=\"end\" class=\"label\">" +
           html_escape(shorten(labels[i], 20)) + "</text>";
    if (!bars[i]) {
      svg += "<text x=\"" + px(kLabel + 4) + "\" y=\"" + px(y + kRow / 2 + 4) + "\" class=\"tick\">n/a</text>";
      continue;
    }
    const BarValue& bar = *bars[i];
    svg += "<rect x=\"" + px(kLabel) + "\" y=\"" + px(y + 4) + "\" width=\"" + px(x_of(bar.value) - kLabel) +
           "\" height=\"" + px(kRow - 8) + "\" fill=\"" + colour(i) + "\"/>";
    double label_x = x_of(bar.value);
    if (bar.ci) {
      const double lo = x_of(bar.ci->first), hi = x_of(bar.ci->second), mid = y + kRow / 2;
      svg += "<path d=\"M" + px(lo) + " " + px(mid) + "H" + px(hi) + "M" + px(lo) + " " + px(mid - 5) + "V" +
             px(mid + 5) + "M" + px(hi) + " " + px(mid - 5) + "V" + px(mid + 5) + "\" class=\"whisker\"/>";
      label_x = std::max(label_x, hi);
    }
    svg += "<text x=\"" + px(label_x + 4) + "\" y=\"" + px(y + kRow / 2 + 4) + "\" class=\"value\">" +
           metric_text(bar.value) + "</text>";
  }
  svg += "</svg></figure>";
  return svg;
}

std::string legend(const std::vector<std::string>& names) {
  std::string html = "<ul class=\"legend\">";
  for (std::size_t i = 0; i < names.size(); ++i)
    html += "<li><span class=\"swatch\" style=\"background:" + std::string(colour(i)) + "\"></span>" +
            html_escape(names[i]) + "</li>";
  return html + "</ul>";
}

// Vertical grouped bars: one group per category, one bar per series (model).
std::string grouped_bars(const std::string& title, const std::string& y_label,
                         const std::vector<std::string>& groups,
                         const std::vector<std::vector<std::optional<BarValue>>>& bars /* [group][series] */,
                         std::size_t series) {
  constexpr double kLeft = 52, kRight = 10, kTop = 18, kBottom = 44, kPlotH = 220;
  const double group_w = std::max(100.0, 44.0 * static_cast<double>(series) + 28.0);
  const double width = kLeft + kRight + group_w * static_cast<double>(groups.size());
  const double height = kTop + kPlotH + kBottom;
  double top = 0.0;
  for (const auto& group : bars)
    for (const auto& bar : group)
      if (bar) top = std::max({top, bar->value, bar->ci ? bar->ci->second : 0.0});
  const Axis axis = nice_axis(top);
  const auto y_of = [&](double v) { return kTop + kPlotH * (1.0 - std::clamp(v / axis.top, 0.0, 1.0)); };

  std::string svg = "<figure class=\"chart wide\"><figcaption>" + html_escape(title) + "</figcaption>";
  svg += "<svg viewBox=\"0 0 " + px(width) + " " + px(height) + "\" style=\"width:" + px(width) +
         "px\" role=\"img\" aria-label=\"" + html_escape(title) + "\">";
  for (int t = 0; t <= axis.ticks; ++t) {
    const double y = y_of(axis.step * t);
    svg += "<line x1=\"" + px(kLeft) + "\" y1=\"" + px(y) + "\" x2=\"" + px(width - kRight) + "\" y2=\"" + px(y) +
           "\" class=\"grid\"/>";
    svg += "<text x=\"" + px(kLeft - 6) + "\" y=\"" + px(y + 4) + "\" class=\"tick\" text-anchor=\"end\">" +
           axis.label(t) + "</text>";
  }
  svg += "<text transform=\"translate(12 " + px(kTop + kPlotH / 2) + ") rotate(-90)\" class=\"tick\" text-anchor=\"middle\">" +
         html_escape(y_label) + "</text>";
  const double bar_w = (group_w - 24.0) / static_cast<double>(std::max<std::size_t>(series, 1));
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const double gx = kLeft + group_w * static_cast<double>(g);
    for (std::size_t s = 0; s < bars[g].size(); ++s) {
      if (!bars[g][s]) continue;
      const BarValue& bar = *bars[g][s];
      const double x = gx + 12 + bar_w * static_cast<double>(s);
      const double y = y_of(bar.value);
      svg += "<rect x=\"" + px(x + 1) + "\" y=\"" + px(y) + "\" width=\"" + px(bar_w - 2) + "\" height=\"" +
             px(kTop + kPlotH - y) + "\" fill=\"" + colour(s) + "\"><title>" + metric_text(bar.value) +
             "</title></rect>";
      // The value above the bar (and its whisker), so tiny bars still read.
      const double label_y = (bar.ci ? std::min(y, y_of(bar.ci->second)) : y) - 4;
      svg += "<text x=\"" + px(x + bar_w / 2) + "\" y=\"" + px(label_y) + "\" class=\"value small\" text-anchor=\"middle\">" +
             short_value(bar.value) + "</text>";
      if (bar.ci) {
        const double mid = x + bar_w / 2, lo = y_of(bar.ci->first), hi = y_of(bar.ci->second);
        const double cap = std::min(4.0, bar_w / 3);
        svg += "<path d=\"M" + px(mid) + " " + px(lo) + "V" + px(hi) + "M" + px(mid - cap) + " " + px(lo) + "H" +
               px(mid + cap) + "M" + px(mid - cap) + " " + px(hi) + "H" + px(mid + cap) + "\" class=\"whisker\"/>";
      }
    }
    // Group labels may carry a second line after '\n' (e.g. the user count).
    const std::string& label = groups[g];
    const auto newline = label.find('\n');
    const double cx = gx + group_w / 2;
    svg += "<text x=\"" + px(cx) + "\" y=\"" + px(kTop + kPlotH + 16) + "\" class=\"label\" text-anchor=\"middle\">" +
           html_escape(label.substr(0, newline)) + "</text>";
    if (newline != std::string::npos)
      svg += "<text x=\"" + px(cx) + "\" y=\"" + px(kTop + kPlotH + 32) + "\" class=\"tick\" text-anchor=\"middle\">" +
             html_escape(label.substr(newline + 1)) + "</text>";
  }
  svg += "<line x1=\"" + px(kLeft) + "\" y1=\"" + px(kTop + kPlotH) + "\" x2=\"" + px(width - kRight) + "\" y2=\"" +
         px(kTop + kPlotH) + "\" class=\"axis\"/>";
  svg += "</svg></figure>";
  return svg;
}

// ---- sections -----------------------------------------------------------------

std::string model_name(const json& result, std::size_t index) {
  // "label" (the spec without default parameters) tells two variants of one
  // model apart; older JSON has only "model".
  std::string name = text(result, "label");
  if (name.empty()) name = text(result, "model");
  return name.empty() ? "model " + std::to_string(index + 1) : name;
}

std::string params_text(const json& result) {
  const json* params = field(result, "params");
  if (params == nullptr || !params->is_object() || params->empty()) return {};
  std::string out;
  for (auto it = params->begin(); it != params->end(); ++it) {
    if (!out.empty()) out += ", ";
    out += it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump());
  }
  return out;
}

std::optional<BarValue> metric_bar(const json& result, const std::string& metric) {
  const json* metrics = field(result, "metrics");
  const auto value = metrics ? number(*metrics, metric.c_str()) : std::nullopt;
  if (!value) return std::nullopt;
  BarValue bar{*value, std::nullopt};
  if (const json* ci = field(result, "ci95")) bar.ci = interval(field(*ci, metric.c_str()));
  return bar;
}

std::string header_section(const json& report, std::size_t models) {
  std::string title = text(report, "title");
  if (title.empty()) title = "Evaluation report";
  std::string html = "<header><h1>" + html_escape(title) + "</h1><p class=\"meta\">";
  std::vector<std::string> parts;
  if (const std::string dataset = text(report, "dataset"); !dataset.empty())
    parts.push_back("Data set <strong>" + html_escape(dataset) + "</strong>");
  if (const std::string protocol = text(report, "protocol"); !protocol.empty())
    parts.push_back("protocol <strong>" + html_escape(protocol) + "</strong>");
  if (const json* ks = field(report, "k"); ks && ks->is_array() && !ks->empty()) {
    std::string list;
    for (const json& k : *ks) list += (list.empty() ? "" : ", ") + html_escape(k.is_string() ? k.get<std::string>() : k.dump());
    parts.push_back("cut-offs k = " + list);
  }
  parts.push_back(std::to_string(models) + (models == 1 ? " model" : " models"));
  for (std::size_t i = 0; i < parts.size(); ++i) html += (i ? " · " : "") + parts[i];
  html += "</p>";
  if (const json* notes = field(report, "notes")) {
    if (notes->is_string()) html += "<p class=\"note\">" + html_escape(notes->get<std::string>()) + "</p>";
    if (notes->is_array())
      for (const json& note : *notes)
        if (note.is_string()) html += "<p class=\"note\">" + html_escape(note.get<std::string>()) + "</p>";
  }
  return html + "</header>";
}

std::string results_table(const json& results, const std::vector<std::string>& metrics) {
  // The best value of each metric is bold; all metrics here are "higher is better".
  std::map<std::string, double> best;
  for (const std::string& metric : metrics)
    for (const json& result : results)
      if (const auto bar = metric_bar(result, metric); bar && (!best.count(metric) || bar->value > best[metric]))
        best[metric] = bar->value;

  std::string html = "<section><h2>Results</h2><div class=\"scroll\"><table><thead><tr><th>Model</th><th>Users</th>";
  for (const std::string& metric : metrics) html += "<th>" + html_escape(metric) + "</th>";
  html += "<th>Fit s</th><th>Eval s</th></tr></thead><tbody>";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const json& result = results[i];
    html += "<tr><td class=\"model\"><span class=\"swatch\" style=\"background:" + std::string(colour(i)) + "\"></span>" +
            html_escape(model_name(result, i));
    if (const std::string params = params_text(result); !params.empty())
      html += "<div class=\"params\">" + html_escape(params) + "</div>";
    html += "</td><td class=\"num\">";
    if (const auto users = number(result, "users_evaluated")) html += integer_text(*users);
    html += "</td>";
    for (const std::string& metric : metrics) {
      const auto bar = metric_bar(result, metric);
      if (!bar) {
        html += "<td class=\"num missing\">–</td>";
        continue;
      }
      const bool is_best = bar->value == best[metric];
      html += "<td class=\"num\"";
      if (bar->ci) html += " title=\"95% CI [" + metric_text(bar->ci->first) + ", " + metric_text(bar->ci->second) + "]\"";
      html += ">";
      html += is_best ? "<strong>" + metric_text(bar->value) + "</strong>" : metric_text(bar->value);
      if (bar->ci) html += "<span class=\"ci\"> ± " + metric_text((bar->ci->second - bar->ci->first) / 2) + "</span>";
      html += "</td>";
    }
    const auto fit = number(result, "fit_seconds");
    const auto eval = number(result, "eval_seconds");
    html += "<td class=\"num\">" + (fit ? seconds_text(*fit) : std::string("–")) + "</td><td class=\"num\">" +
            (eval ? seconds_text(*eval) : std::string("–")) + "</td></tr>";
  }
  html += "</tbody></table></div><p class=\"caption\">Means over evaluated users. <strong>Bold</strong>: best value of "
          "the column. ± is half the width of the 95% bootstrap confidence interval (hover a cell for the interval).</p>";
  return html + "</section>";
}

std::string paired_section(const json& results, const std::vector<std::string>& metrics) {
  bool any = false;
  for (std::size_t i = 1; i < results.size(); ++i)
    if (const json* tests = field(results[i], "paired_test"); tests && tests->is_object() && !tests->empty()) any = true;
  if (!any) return {};
  const std::string baseline = model_name(results[0], 0);
  std::string html = "<section><h2>Is the difference real?</h2><p>Each model against <strong>" + html_escape(baseline) +
                     "</strong>, user by user. A small p-value (below 0.05, shown in bold) means a difference "
                     "this large would rarely appear by chance.</p><div class=\"scroll\"><table><thead><tr><th>Model</th>";
  for (const std::string& metric : metrics) html += "<th>" + html_escape(metric) + "</th>";
  html += "</tr></thead><tbody>";
  std::string test_names;
  for (std::size_t i = 1; i < results.size(); ++i) {
    const json* tests = field(results[i], "paired_test");
    html += "<tr><td class=\"model\">" + html_escape(model_name(results[i], i)) + "</td>";
    for (const std::string& metric : metrics) {
      const json* test = tests ? field(*tests, metric.c_str()) : nullptr;
      const auto p = test ? number(*test, "p_value") : std::nullopt;
      if (!p) {
        html += "<td class=\"num missing\">–</td>";
        continue;
      }
      const auto holm = number(*test, "p_holm");
      const double decisive = holm ? *holm : *p;
      html += "<td class=\"num\">";
      if (const auto diff = number(*test, "mean_diff"))
        html += "<span class=\"" + std::string(*diff >= 0 ? "up" : "down") + "\">" + (*diff >= 0 ? "+" : "−") +
                metric_text(std::abs(*diff)) + "</span> ";
      html += "<span class=\"p\">" +
              (decisive < 0.05 ? "<strong>p " + p_text(decisive) + "</strong>" : "p " + p_text(decisive)) + "</span>";
      html += "</td>";
      const std::string name = text(*test, "test");
      if (!name.empty() && test_names.find(name) == std::string::npos)
        test_names += (test_names.empty() ? "" : ", ") + name;
    }
    html += "</tr>";
  }
  html += "</tbody></table></div><p class=\"caption\">Difference of means (model − " + html_escape(baseline) +
          ") and two-sided p-value";
  if (!test_names.empty()) html += " (" + html_escape(test_names) + ")";
  html += "; Holm-adjusted across models where given.</p>";
  return html + "</section>";
}

std::string metric_charts(const json& results, const std::vector<std::string>& metrics) {
  std::vector<std::string> labels;
  for (std::size_t i = 0; i < results.size(); ++i) labels.push_back(model_name(results[i], i));
  std::string html = "<section><h2>Each metric</h2><div class=\"grid\">";
  for (const std::string& metric : metrics) {
    std::vector<std::optional<BarValue>> bars;
    for (const json& result : results) bars.push_back(metric_bar(result, metric));
    html += horizontal_bars(metric, labels, bars);
  }
  return html + "</div><p class=\"caption\">Bars are means; whiskers the 95% bootstrap confidence interval.</p></section>";
}

std::optional<BarValue> bar_from(const json& object, const char* value_key, const char* ci_key) {
  const auto value = number(object, value_key);
  if (!value) return std::nullopt;
  return BarValue{*value, interval(field(object, ci_key))};
}

std::string activity_section(const json& results) {
  // Bucket labels come from the first model that has a breakdown; models are
  // evaluated on the same users, so their buckets agree.
  const json* reference = nullptr;
  std::string metric;
  for (const json& result : results)
    if (const json* breakdown = field(result, "activity_breakdown")) {
      const json* buckets = field(*breakdown, "buckets");
      if (buckets && buckets->is_array() && !buckets->empty()) {
        reference = buckets;
        metric = text(*breakdown, "metric");
        break;
      }
    }
  if (reference == nullptr) return {};
  std::vector<std::string> groups;
  for (const json& bucket : *reference) {
    const auto lo = number(bucket, "min_train"), hi = number(bucket, "max_train"), users = number(bucket, "users");
    std::string label = lo && hi ? (*lo == *hi ? integer_text(*lo) : integer_text(*lo) + "–" + integer_text(*hi)) : "?";
    if (users) label += "\n" + integer_text(*users) + " users";
    groups.push_back(label);
  }
  std::vector<std::vector<std::optional<BarValue>>> bars(groups.size(), std::vector<std::optional<BarValue>>(results.size()));
  std::vector<std::string> names;
  for (std::size_t s = 0; s < results.size(); ++s) {
    names.push_back(model_name(results[s], s));
    const json* breakdown = field(results[s], "activity_breakdown");
    const json* buckets = breakdown ? field(*breakdown, "buckets") : nullptr;
    if (buckets == nullptr || !buckets->is_array()) continue;
    for (std::size_t g = 0; g < groups.size() && g < buckets->size(); ++g) bars[g][s] = bar_from((*buckets)[g], "mean", "ci95");
  }
  const std::string title = (metric.empty() ? std::string("Metric") : metric) + " by user activity";
  std::string html = "<section><h2>By user activity</h2><p>Users split into groups of about equal size by how many "
                     "items they have in training (the range under each group). Sparse users are usually harder.</p>";
  html += legend(names) + grouped_bars(title, metric, groups, bars, results.size());
  return html + "</section>";
}

std::string popularity_section(const json& results) {
  const json* reference = nullptr;
  for (const json& result : results)
    if (const json* breakdown = field(result, "popularity_breakdown"); breakdown && breakdown->is_object()) {
      reference = breakdown;
      break;
    }
  if (reference == nullptr) return {};
  const auto k = number(*reference, "k");
  const std::string at = k ? "@" + integer_text(*k) : "";
  std::vector<std::string> names;
  std::vector<std::vector<std::optional<BarValue>>> recall(2, std::vector<std::optional<BarValue>>(results.size()));
  auto hit = recall;
  for (std::size_t s = 0; s < results.size(); ++s) {
    names.push_back(model_name(results[s], s));
    const json* breakdown = field(results[s], "popularity_breakdown");
    if (breakdown == nullptr) continue;
    const char* parts[] = {"head", "tail"};
    for (std::size_t p = 0; p < 2; ++p)
      if (const json* part = field(*breakdown, parts[p])) {
        recall[p][s] = bar_from(*part, "recall", "recall_ci95");
        hit[p][s] = bar_from(*part, "hit", "hit_ci95");
      }
  }
  std::vector<std::string> groups;
  const char* parts[] = {"head", "tail"};
  for (const char* part : parts) {
    std::string label = std::string(part == parts[0] ? "Head" : "Tail");
    if (const json* p = field(*reference, part))
      if (const auto users = number(*p, "users")) label += "\n" + integer_text(*users) + " users";
    groups.push_back(label);
  }
  std::string rule = "the most popular items";
  const auto share = number(*reference, "share");
  const std::string rule_name = text(*reference, "rule");
  if (share && rule_name == "interaction_share")
    rule = "the most popular items that together take " + format("%.0f", *share * 100) + "% of the training interactions";
  else if (share)
    rule = "the " + format("%.0f", *share * 100) + "% most popular items of the catalogue";
  std::string html = "<section><h2>By item popularity</h2><p>Each user's held-out items are split into the <em>head</em> (" +
                     html_escape(rule);
  if (const auto items = number(*reference, "head_items")) html += ": " + integer_text(*items) + " items";
  if (const auto taken = number(*reference, "head_interaction_share"))
    html += ", " + format("%.0f", *taken * 100) + "% of training interactions";
  html += ") and the <em>tail</em> (everything else). Recall and hit rate are then measured on each part; "
          "a model that only recommends hits does well on the head and poorly on the tail.</p>";
  html += legend(names) + "<div class=\"grid two\">" + grouped_bars("Recall" + at, "recall" + at, groups, recall, results.size()) +
          grouped_bars("Hit rate" + at, "hit" + at, groups, hit, results.size()) + "</div>";
  return html + "</section>";
}

std::string curve_section(const json& results) {
  std::vector<std::vector<std::pair<double, double>>> curves(results.size());
  double max_k = 0, max_v = 0;
  bool any = false;
  for (std::size_t s = 0; s < results.size(); ++s) {
    const json* curve = field(results[s], "recall_curve");
    if (curve == nullptr || !curve->is_object()) continue;
    for (auto it = curve->begin(); it != curve->end(); ++it) {
      char* end = nullptr;
      const double k = std::strtod(it.key().c_str(), &end);
      const auto v = number(&*it);
      if (end == it.key().c_str() || *end != '\0' || !std::isfinite(k) || k <= 0 || !v) continue;
      curves[s].emplace_back(k, *v);
      max_k = std::max(max_k, k);
      max_v = std::max(max_v, *v);
    }
    std::sort(curves[s].begin(), curves[s].end());
    any = any || !curves[s].empty();
  }
  if (!any) return {};
  constexpr double kLeft = 52, kRight = 16, kTop = 12, kBottom = 40, kW = 640, kH = 260;
  const Axis y_axis = nice_axis(max_v), x_axis = nice_axis(max_k);
  const auto x_of = [&](double k) { return kLeft + (kW - kLeft - kRight) * k / x_axis.top; };
  const auto y_of = [&](double v) { return kTop + (kH - kTop - kBottom) * (1.0 - v / y_axis.top); };
  std::string svg = "<figure class=\"chart wide\"><figcaption>Recall@k as the list grows</figcaption><svg viewBox=\"0 0 " +
                    px(kW) + " " + px(kH) + "\" style=\"max-width:" + px(kW) + "px\" role=\"img\" aria-label=\"recall at k\">";
  for (int t = 0; t <= y_axis.ticks; ++t) {
    const double v = y_axis.step * t;
    svg += "<line x1=\"" + px(kLeft) + "\" y1=\"" + px(y_of(v)) + "\" x2=\"" + px(kW - kRight) + "\" y2=\"" + px(y_of(v)) +
           "\" class=\"grid\"/><text x=\"" + px(kLeft - 6) + "\" y=\"" + px(y_of(v) + 4) +
           "\" class=\"tick\" text-anchor=\"end\">" + y_axis.label(t) + "</text>";
  }
  for (int t = 0; t <= x_axis.ticks; ++t)
    svg += "<text x=\"" + px(x_of(x_axis.step * t)) + "\" y=\"" + px(kH - kBottom + 16) +
           "\" class=\"tick\" text-anchor=\"middle\">" + x_axis.label(t) + "</text>";
  svg += "<line x1=\"" + px(kLeft) + "\" y1=\"" + px(kH - kBottom) + "\" x2=\"" + px(kW - kRight) + "\" y2=\"" +
         px(kH - kBottom) + "\" class=\"axis\"/>";
  svg += "<text x=\"" + px((kLeft + kW - kRight) / 2) + "\" y=\"" + px(kH - 6) +
         "\" class=\"tick\" text-anchor=\"middle\">k (list length)</text>";
  svg += "<text transform=\"translate(12 " + px((kTop + kH - kBottom) / 2) +
         ") rotate(-90)\" class=\"tick\" text-anchor=\"middle\">recall@k</text>";
  std::vector<std::string> names;
  for (std::size_t s = 0; s < curves.size(); ++s) {
    names.push_back(model_name(results[s], s));
    if (curves[s].empty()) continue;
    std::string points;
    for (const auto& [k, v] : curves[s]) points += (points.empty() ? "" : " ") + px(x_of(k)) + "," + px(y_of(v));
    svg += "<polyline points=\"" + points + "\" fill=\"none\" stroke=\"" + colour(s) + "\" stroke-width=\"3\"";
    if (*dash(s)) svg += " stroke-dasharray=\"" + std::string(dash(s)) + "\"";
    svg += "/>";
    for (const auto& [k, v] : curves[s])
      svg += "<circle cx=\"" + px(x_of(k)) + "\" cy=\"" + px(y_of(v)) + "\" r=\"4\" fill=\"" + colour(s) + "\"><title>k=" +
             format("%.0f", k) + ": " + metric_text(v) + "</title></circle>";
  }
  svg += "</svg></figure>";
  return "<section><h2>Recall@k curve</h2>" + legend(names) + svg + "</section>";
}

// The accuracy–diversity curve of MMR re-ranking (models/rerank/mmr.h): when
// two or more results are `mmr` over the same base model (same spec but
// lambda), one line per base through the points (ild@k, ndcg@k), each point
// labelled with its lambda. "params" is the spec string (or an object).
std::string diversity_section(const json& results) {
  struct Point {
    double lambda, ild, ndcg;
  };
  std::map<std::string, std::vector<Point>> series;  // base key -> points
  std::string ild_key, ndcg_key;
  for (const json& result : results) {
    if (text(result, "model") != "mmr") continue;
    std::map<std::string, std::string> kv;
    const json* params = field(result, "params");
    if (params != nullptr && params->is_string()) {
      const std::string spec = params->get<std::string>();
      const auto colon = spec.find(':');
      std::string rest = colon == std::string::npos ? std::string() : spec.substr(colon + 1);
      std::size_t start = 0;
      while (start <= rest.size()) {
        const auto comma = rest.find(',', start);
        const std::string entry = rest.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        const auto eq = entry.find('=');
        if (eq != std::string::npos) kv[entry.substr(0, eq)] = entry.substr(eq + 1);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (params != nullptr && params->is_object()) {
      for (auto it = params->begin(); it != params->end(); ++it)
        kv[it.key()] = it->is_string() ? it->get<std::string>() : it->dump();
    }
    const auto lambda_it = kv.find("lambda");
    if (lambda_it == kv.end()) continue;
    char* end = nullptr;
    const double lambda = std::strtod(lambda_it->second.c_str(), &end);
    if (end == lambda_it->second.c_str() || !std::isfinite(lambda)) continue;
    const json* metrics = field(result, "metrics");
    if (metrics == nullptr || !metrics->is_object()) continue;
    if (ild_key.empty())
      for (auto it = metrics->begin(); it != metrics->end(); ++it)
        if (it.key().rfind("ild@", 0) == 0 && metrics->contains("ndcg@" + it.key().substr(4))) {
          ild_key = it.key();
          ndcg_key = "ndcg@" + it.key().substr(4);
          break;
        }
    if (ild_key.empty()) continue;
    const auto ild = number(*metrics, ild_key.c_str());
    const auto ndcg = number(*metrics, ndcg_key.c_str());
    if (!ild || !ndcg) continue;
    std::string key;
    for (const auto& [k, v] : kv)
      if (k != "lambda") key += (key.empty() ? "" : ",") + k + "=" + v;
    std::string base = kv.count("base_spec") && !kv["base_spec"].empty() ? kv["base_spec"] : kv["base"];
    series["mmr over " + (base.empty() ? std::string("?") : base) + " [" + key + "]"].push_back({lambda, *ild, *ndcg});
  }
  std::vector<std::pair<std::string, std::vector<Point>>> lines;
  for (auto& [name, points] : series)
    if (points.size() >= 2) {
      std::sort(points.begin(), points.end(), [](const Point& a, const Point& b) { return a.lambda > b.lambda; });
      lines.emplace_back(name, points);
    }
  if (lines.empty()) return {};
  double max_x = 0, max_y = 0;
  for (const auto& [name, points] : lines)
    for (const Point& p : points) {
      max_x = std::max(max_x, p.ild);
      max_y = std::max(max_y, p.ndcg);
    }
  constexpr double kLeft = 56, kRight = 24, kTop = 14, kBottom = 40, kW = 640, kH = 280;
  const Axis x_axis = nice_axis(max_x), y_axis = nice_axis(max_y);
  const auto x_of = [&](double v) { return kLeft + (kW - kLeft - kRight) * std::clamp(v / x_axis.top, 0.0, 1.0); };
  const auto y_of = [&](double v) { return kTop + (kH - kTop - kBottom) * (1.0 - std::clamp(v / y_axis.top, 0.0, 1.0)); };
  std::string svg = "<figure class=\"chart wide\"><figcaption>" + html_escape(ndcg_key) + " against " +
                    html_escape(ild_key) + " as lambda moves</figcaption><svg viewBox=\"0 0 " + px(kW) + " " + px(kH) +
                    "\" style=\"max-width:" + px(kW) + "px\" role=\"img\" aria-label=\"accuracy against diversity\">";
  for (int t = 0; t <= y_axis.ticks; ++t) {
    const double v = y_axis.step * t;
    svg += "<line x1=\"" + px(kLeft) + "\" y1=\"" + px(y_of(v)) + "\" x2=\"" + px(kW - kRight) + "\" y2=\"" +
           px(y_of(v)) + "\" class=\"grid\"/><text x=\"" + px(kLeft - 6) + "\" y=\"" + px(y_of(v) + 4) +
           "\" class=\"tick\" text-anchor=\"end\">" + y_axis.label(t) + "</text>";
  }
  for (int t = 0; t <= x_axis.ticks; ++t)
    svg += "<text x=\"" + px(x_of(x_axis.step * t)) + "\" y=\"" + px(kH - kBottom + 16) +
           "\" class=\"tick\" text-anchor=\"middle\">" + x_axis.label(t) + "</text>";
  svg += "<line x1=\"" + px(kLeft) + "\" y1=\"" + px(kH - kBottom) + "\" x2=\"" + px(kW - kRight) + "\" y2=\"" +
         px(kH - kBottom) + "\" class=\"axis\"/>";
  svg += "<text x=\"" + px((kLeft + kW - kRight) / 2) + "\" y=\"" + px(kH - 6) + "\" class=\"tick\" text-anchor=\"middle\">" +
         html_escape(ild_key) + " (intra-list diversity)</text>";
  svg += "<text transform=\"translate(12 " + px((kTop + kH - kBottom) / 2) +
         ") rotate(-90)\" class=\"tick\" text-anchor=\"middle\">" + html_escape(ndcg_key) + "</text>";
  std::vector<std::string> names;
  for (std::size_t s = 0; s < lines.size(); ++s) {
    names.push_back(lines[s].first);
    std::string points;
    for (const Point& p : lines[s].second)
      points += (points.empty() ? "" : " ") + px(x_of(p.ild)) + "," + px(y_of(p.ndcg));
    svg += "<polyline points=\"" + points + "\" fill=\"none\" stroke=\"" + colour(s) + "\" stroke-width=\"3\"";
    if (*dash(s)) svg += " stroke-dasharray=\"" + std::string(dash(s)) + "\"";
    svg += "/>";
    for (const Point& p : lines[s].second)
      svg += "<circle cx=\"" + px(x_of(p.ild)) + "\" cy=\"" + px(y_of(p.ndcg)) + "\" r=\"4\" fill=\"" + colour(s) +
             "\"><title>lambda " + short_value(p.lambda) + ": " + html_escape(ndcg_key) + " " + metric_text(p.ndcg) +
             ", " + html_escape(ild_key) + " " + metric_text(p.ild) + "</title></circle><text x=\"" +
             px(x_of(p.ild) + 6) + "\" y=\"" + px(y_of(p.ndcg) - 6) + "\" class=\"tick\">" + short_value(p.lambda) +
             "</text>";
  }
  svg += "</svg></figure>";
  return "<section><h2>Accuracy against diversity (MMR)</h2><p class=\"caption\">Each point is one lambda of the "
         "MMR re-ranker (1 = the base model's order); moving left to right trades accuracy for intra-list "
         "diversity.</p>" +
         legend(names) + svg + "</section>";
}

// "1874 evaluated of 1880 test users; excluded: 4 without training data." ("" without counts).
std::string user_accounting(const json& result) {
  const auto evaluated = number(result, "users_evaluated");
  if (!evaluated) return {};
  std::string line = integer_text(*evaluated) + " evaluated";
  if (const auto test_users = number(result, "test_users")) line += " of " + integer_text(*test_users) + " test users";
  std::vector<std::string> excluded;
  if (const auto cold = number(result, "cold_users"); cold && *cold > 0)
    excluded.push_back(integer_text(*cold) + " without training data");
  if (const auto repeat = number(result, "repeat_only_users"); repeat && *repeat > 0)
    excluded.push_back(integer_text(*repeat) + " whose test items were all already in training");
  if (!excluded.empty()) {
    line += "; excluded: ";
    for (std::size_t j = 0; j < excluded.size(); ++j) line += (j ? ", " : "") + excluded[j];
  }
  std::vector<std::string> short_lists;
  if (const auto empty = number(result, "empty_list_users"); empty && *empty > 0)
    short_lists.push_back(integer_text(*empty) + " had an empty list");
  if (const auto shorter = number(result, "short_list_users"); shorter && *shorter > 0)
    short_lists.push_back(integer_text(*shorter) + " a list shorter than the largest k");
  if (!short_lists.empty()) {
    line += "; of those evaluated, ";
    for (std::size_t j = 0; j < short_lists.size(); ++j) line += (j ? ", " : "") + short_lists[j];
    line += " (missing ranks count as misses)";
  }
  return line + ".";
}

std::string notes_section(const json& report, const json& results) {
  std::string html = "<section class=\"notes\"><h2>How to read this</h2><ul>";
  const std::string protocol = text(report, "protocol");
  if (protocol.empty() || protocol == "full")
    html += "<li><strong>Full ranking.</strong> Every model ranks the whole catalogue for each user, leaving out the "
            "items the user already has in training. No sampled negatives: the numbers are the ones a user would see, "
            "and they are comparable with other full-ranking results.</li>";
  else
    html += "<li><strong>Protocol " + html_escape(protocol) +
            ".</strong> Items were ranked against a sample of candidates, not the whole catalogue; such numbers are "
            "higher than full-ranking ones and do not compare with them.</li>";
  html += "<li><strong>Who counts.</strong> A user is evaluated when they have at least one training item and at least "
          "one held-out item that is not already in their training data; every metric is a mean over those users.";
  // One line per model, or one for all when every model counted the same users.
  std::vector<std::string> lines;
  for (const json& result : results) lines.push_back(user_accounting(result));
  const bool same = std::all_of(lines.begin(), lines.end(), [&](const std::string& l) { return l == lines.front(); });
  if (same && results.size() > 1 && !lines.front().empty()) {
    html += "<br>All models: " + lines.front();
  } else {
    for (std::size_t i = 0; i < results.size(); ++i)
      if (!lines[i].empty()) html += "<br>" + html_escape(model_name(results[i], i)) + ": " + lines[i];
  }
  html += "</li><li><strong>Confidence intervals.</strong> 95% percentile bootstrap over users (1000 resamples unless "
          "stated): the range the mean would likely take on another sample of users like these.</li>"
          "<li><strong>Metrics.</strong> ndcg rewards hits near the top; recall is the share of a user's held-out "
          "items found in the top k; precision the share of the top k that is relevant; hit is 1 when at least one "
          "is; mrr is 1/rank of the first hit; coverage the share of the catalogue recommended to anyone.</li></ul>";
  return html + "</section>";
}

constexpr const char* kStyle = R"css(
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;background:#fff;color:#1b1b1b;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1360px;margin:0 auto;padding:24px 28px 40px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:19px;margin:32px 0 8px;padding-top:12px;border-top:1px solid #ddd}
p{margin:6px 0;max-width:80ch}
.meta{color:#444}
.note{color:#333;background:#f4f6f8;border-left:4px solid #0072B2;padding:6px 10px}
.caption{color:#555;font-size:13px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:8px 0}
th,td{padding:6px 10px;border-bottom:1px solid #e3e3e3;text-align:left;vertical-align:top}
th{background:#f4f6f8;font-weight:600;white-space:nowrap}
td.num{text-align:right;white-space:nowrap}
td.missing{color:#888}
.ci{display:block;color:#666;font-size:12px}
td .p{display:block}
td.model{white-space:nowrap}
.params{color:#666;font-size:12px;max-width:28ch;overflow-wrap:anywhere}
.up{color:#00603f}
.down{color:#a33a00}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:6px;vertical-align:-1px}
.legend{list-style:none;padding:0;margin:6px 0;display:flex;flex-wrap:wrap;gap:4px 18px;font-size:14px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:10px 24px}
.grid.two{grid-template-columns:repeat(auto-fill,minmax(420px,1fr))}
figure{margin:8px 0}
figcaption{font-weight:600;font-size:14px;margin-bottom:2px}
svg{width:100%;height:auto;display:block}
svg text{font-size:12px;fill:#1b1b1b}
svg .tick{fill:#555;font-size:11px}
svg .value{font-size:11px;fill:#1b1b1b}
svg .small{font-size:10px}
svg .grid{stroke:#e6e6e6;stroke-width:1}
svg .axis{stroke:#888;stroke-width:1}
svg .whisker{stroke:#1b1b1b;stroke-width:1.4;fill:none}
.notes ul{padding-left:20px;max-width:90ch}
.notes li{margin:6px 0}
.empty{font-size:17px;padding:16px;background:#fff4e5;border-left:4px solid #D55E00}
)css";

}  // namespace

std::string html_escape(std::string_view input) {
  std::string out;
  out.reserve(input.size());
  for (char c : input) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_report_html(const nlohmann::json& report) {
  static const json kNoResults = json::array();
  const json* results_field = field(report, "results");
  const json& results = results_field && results_field->is_array() ? *results_field : kNoResults;
  std::string title = text(report, "title");
  if (title.empty()) title = "Evaluation report";

  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" +
                     html_escape(title) + "</title><style>" + kStyle + "</style></head><body><main>";
  html += header_section(report, results.size());
  if (results.empty()) {
    html += "<p class=\"empty\">No models were evaluated: the report's result list is empty, so there is nothing to "
            "compare. Run <code>segue eval</code> with at least one <code>--model</code> or <code>--recs</code>.</p>";
  } else {
    const std::vector<std::string> metrics = metric_names(results);
    html += results_table(results, metrics);
    html += paired_section(results, metrics);
    if (!metrics.empty()) html += metric_charts(results, metrics);
    html += activity_section(results);
    html += popularity_section(results);
    html += curve_section(results);
    html += diversity_section(results);
    html += notes_section(report, results);
  }
  html += "<footer><p class=\"caption\">Made by segue. This page is self-contained: no scripts, fonts or network "
          "requests.</p></footer></main></body></html>\n";
  return html;
}

nlohmann::json ci_json(const MeanCI& ci) { return json::array({ci.lo, ci.hi}); }

nlohmann::json activity_breakdown_json(std::string_view metric, const std::vector<ActivityBucket>& buckets) {
  json out = {{"metric", std::string(metric)}, {"buckets", json::array()}};
  for (const ActivityBucket& bucket : buckets)
    out["buckets"].push_back({{"users", bucket.users},
                              {"min_train", bucket.min_train},
                              {"max_train", bucket.max_train},
                              {"mean", bucket.ci.mean},
                              {"ci95", ci_json(bucket.ci)}});
  return out;
}

nlohmann::json popularity_breakdown_json(const PopularityBreakdown& breakdown) {
  const auto part = [](const PopularityPart& p) {
    return json{{"users", p.users},          {"relevant", p.relevant},
                {"recall", p.recall_ci.mean}, {"recall_ci95", ci_json(p.recall_ci)},
                {"hit", p.hit_ci.mean},       {"hit_ci95", ci_json(p.hit_ci)}};
  };
  return json{{"k", breakdown.k},
              {"rule", breakdown.rule == HeadRule::kItemShare ? "item_share" : "interaction_share"},
              {"share", breakdown.share},
              {"head_items", breakdown.head_items},
              {"head_interaction_share", breakdown.head_interaction_share},
              {"head", part(breakdown.head)},
              {"tail", part(breakdown.tail)}};
}

nlohmann::json recall_curve_json(std::span<const std::int32_t> ks, std::span<const double> values) {
  if (ks.size() != values.size())
    throw std::invalid_argument("recall curve: " + std::to_string(ks.size()) + " cut-offs but " +
                                std::to_string(values.size()) + " values");
  json out = json::object();
  for (std::size_t i = 0; i < ks.size(); ++i) out[std::to_string(ks[i])] = values[i];
  return out;
}

nlohmann::json paired_test_json(const PairedTest& test, std::string_view baseline, bool use_wilcoxon) {
  return json{{"p_value", use_wilcoxon ? test.wilcoxon_p : test.bootstrap_p},
              {"test", use_wilcoxon ? (test.wilcoxon_exact ? "wilcoxon (exact)" : "wilcoxon") : "paired-bootstrap"},
              {"mean_diff", test.mean_diff},
              {"vs", std::string(baseline)}};
}

}  // namespace segue
