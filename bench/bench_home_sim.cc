// The home-screen policies compared in the listener simulator (src/home/
// simulator.h) on a real split: cumulative streams with 95% CIs over seeds,
// regret against the oracle, coverage and diversity per round (does a policy
// shrink into a filter bubble?), and the off-policy loop closed (uniform logs
// -> estimates of trained, frozen policies -> their simulated truth). Writes
// an HTML report with inline SVG curves.
//   bench_home_sim MODEL STORE TEST_CSV [--listeners 200] [--rounds 20] [--seeds 5]
//                  [--policies 'uniform;greedy;egreedy:epsilon=0.1;thompson'] [--threads 2] [--ope-rounds 10]
//                  [--html OUT.html] [--shown-wear 0.02] [--satiation 0.3] [--base-rate 0.02] [--taste 0.2]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "data/store.h"
#include "home/simulator.h"
#include "home/simulator_ope.h"

using namespace segue;
using namespace segue::home;

namespace {

struct Args {
  std::string model, store, test, html = "home_sim.html";
  std::size_t listeners = 200;
  std::int32_t rounds = 20, seeds = 5, threads = 2, ope_rounds = 10;
  std::vector<std::string> policies = {"uniform", "greedy", "egreedy:epsilon=0.1", "thompson"};
  SimulatorOptions sim;
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  std::stringstream s(text);
  while (std::getline(s, item, ';')) out.push_back(item);
  return out;
}

// Two-sided 95% t quantile for n - 1 degrees of freedom (seeds are few).
double t95(std::size_t n) {
  static const double table[] = {0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262};
  return n >= 2 && n - 1 < 10 ? table[n - 1] : 1.96;
}

struct Summary {
  double mean = 0, lo = 0, hi = 0;
};
Summary summarise(const std::vector<double>& xs) {
  Summary s;
  if (xs.empty()) return s;
  for (double x : xs) s.mean += x;
  s.mean /= static_cast<double>(xs.size());
  double var = 0;
  for (double x : xs) var += (x - s.mean) * (x - s.mean);
  const double half = xs.size() > 1 ? t95(xs.size()) * std::sqrt(var / static_cast<double>(xs.size() - 1) / static_cast<double>(xs.size())) : 0.0;
  s.lo = s.mean - half;
  s.hi = s.mean + half;
  return s;
}

// One policy's runs: per seed, per round.
struct PolicyRuns {
  std::string spec;
  std::vector<std::vector<RoundStats>> seeds;
};

// ---- SVG --------------------------------------------------------------------

constexpr const char* kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#444444"};
constexpr const char* kDashes[] = {"", "6 3", "2 3", "8 3 2 3"};

struct Series {
  std::string name;
  std::vector<Summary> points;  // per round
};

std::string fmt(const char* pattern, double v) {
  char b[64];
  std::snprintf(b, sizeof b, pattern, v);
  return b;
}

// A line chart of per-round means with a shaded 95% band (over seeds).
std::string line_chart(const std::string& title, const std::string& y_label, const std::vector<Series>& series) {
  constexpr double W = 560, H = 300, L = 64, R = 150, T = 28, B = 40;
  double lo = 0, hi = 0;
  std::size_t rounds = 0;
  for (const Series& s : series)
    for (const Summary& p : s.points) lo = std::min(lo, p.lo), hi = std::max(hi, p.hi), rounds = std::max(rounds, s.points.size());
  if (hi <= lo) hi = lo + 1;
  // Round ticks: a step of 1, 2 or 5 × 10^n, at most 5 intervals.
  const double magnitude = std::pow(10.0, std::floor(std::log10((hi - lo) / 5.0)));
  double step = 10.0 * magnitude;
  for (double m : {1.0, 2.0, 5.0})
    if (m * magnitude * 5.0 >= hi - lo) {
      step = m * magnitude;
      break;
    }
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step) * step;
  const double span = hi - lo;
  const int ticks = static_cast<int>(std::lround(span / step));
  const auto x = [&](std::size_t r) { return L + (W - L - R) * (rounds > 1 ? static_cast<double>(r) / static_cast<double>(rounds - 1) : 0.0); };
  const auto y = [&](double v) { return T + (H - T - B) * (1.0 - (v - lo) / span); };
  std::ostringstream o;
  o << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H << "' role='img' aria-label='" << title
    << "'><text x='" << L << "' y='16' font-weight='bold'>" << title << "</text>";
  for (int tick = 0; tick <= ticks; ++tick) {
    const double v = lo + step * tick;
    o << "<line x1='" << L << "' x2='" << W - R << "' y1='" << y(v) << "' y2='" << y(v) << "' stroke='#ddd'/>"
      << "<text x='" << L - 6 << "' y='" << y(v) + 4 << "' text-anchor='end' font-size='11'>"
      << (step < 0.01 ? fmt("%.3f", v) : step < 0.1 ? fmt("%.2f", v) : step < 1 ? fmt("%.1f", v) : fmt("%.0f", v)) << "</text>";
  }
  for (std::size_t r = 0; r < rounds; r += std::max<std::size_t>(1, rounds / 5))
    o << "<text x='" << x(r) << "' y='" << H - B + 16 << "' text-anchor='middle' font-size='11'>" << r + 1 << "</text>";
  o << "<text x='" << (L + W - R) / 2 << "' y='" << H - 6 << "' text-anchor='middle' font-size='12'>round</text>"
    << "<text x='14' y='" << (T + H - B) / 2 << "' transform='rotate(-90 14 " << (T + H - B) / 2
    << ")' text-anchor='middle' font-size='12'>" << y_label << "</text>";
  for (std::size_t i = 0; i < series.size(); ++i) {
    const Series& s = series[i];
    const char* colour = kPalette[i % 7];
    std::string band, line;
    for (std::size_t r = 0; r < s.points.size(); ++r) band += fmt("%.1f,", x(r)) + fmt("%.1f ", y(s.points[r].hi));
    for (std::size_t r = s.points.size(); r-- > 0;) band += fmt("%.1f,", x(r)) + fmt("%.1f ", y(s.points[r].lo));
    for (std::size_t r = 0; r < s.points.size(); ++r) line += fmt("%.1f,", x(r)) + fmt("%.1f ", y(s.points[r].mean));
    o << "<polygon points='" << band << "' fill='" << colour << "' fill-opacity='0.15' stroke='none'/>"
      << "<polyline points='" << line << "' fill='none' stroke='" << colour << "' stroke-width='2' stroke-dasharray='"
      << kDashes[i % 4] << "'><title>" << s.name << "</title></polyline>"
      << "<line x1='" << W - R + 10 << "' x2='" << W - R + 34 << "' y1='" << T + 8 + 18 * i << "' y2='" << T + 8 + 18 * i
      << "' stroke='" << colour << "' stroke-width='2' stroke-dasharray='" << kDashes[i % 4] << "'/>"
      << "<text x='" << W - R + 38 << "' y='" << T + 12 + 18 * i << "' font-size='11'>" << s.name << "</text>";
  }
  o << "</svg>";
  return o.str();
}

// Per-round summary over seeds of value(seed's rounds, round).
template <typename Value>
Series per_round(const PolicyRuns& runs, Value value) {
  Series s{runs.spec, {}};
  const std::size_t rounds = runs.seeds.empty() ? 0 : runs.seeds.front().size();
  for (std::size_t r = 0; r < rounds; ++r) {
    std::vector<double> xs;
    for (std::size_t k = 0; k < runs.seeds.size(); ++k) xs.push_back(value(k, r));
    s.points.push_back(summarise(xs));
  }
  return s;
}

double cumulative(const std::vector<RoundStats>& rounds, std::size_t upto) {
  double sum = 0;
  for (std::size_t r = 0; r <= upto && r < rounds.size(); ++r) sum += rounds[r].streams;
  return sum;
}

std::string ci_text(const Summary& s, const char* pattern) {
  return fmt(pattern, s.mean) + " [" + fmt(pattern, s.lo) + ", " + fmt(pattern, s.hi) + "]";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: bench_home_sim MODEL STORE TEST_CSV [--listeners N] [--rounds T] [--seeds S] "
                 "[--policies a;b;c] [--threads N] [--ope-rounds N] [--html OUT] "
                 "[--shown-wear W] [--satiation S] [--base-rate B] [--taste T]\n");
    return 2;
  }
  Args args;
  args.model = argv[1];
  args.store = argv[2];
  args.test = argv[3];
  for (int i = 4; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--listeners") args.listeners = std::stoul(value);
    else if (flag == "--rounds") args.rounds = std::stoi(value);
    else if (flag == "--seeds") args.seeds = std::stoi(value);
    else if (flag == "--policies") args.policies = split_list(value);
    else if (flag == "--threads") args.threads = std::max(1, std::stoi(value));
    else if (flag == "--ope-rounds") args.ope_rounds = std::stoi(value);
    else if (flag == "--html") args.html = value;
    else if (flag == "--shown-wear") args.sim.shown_wear = std::stod(value);
    else if (flag == "--satiation") args.sim.satiation = std::stod(value);
    else if (flag == "--base-rate") args.sim.base_rate = std::stod(value);
    else if (flag == "--taste") args.sim.taste = std::stod(value);
    else {
      std::fprintf(stderr, "unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  std::string command;
  for (int i = 0; i < argc; ++i) command += std::string(i ? " " : "") + argv[i];
  const auto started = std::chrono::steady_clock::now();
  const auto store = std::make_shared<const Dataset>(load_dataset(args.store));
  const ServingModel served(Recommender::load(args.model), store);
  const std::vector<HeldOut> listeners = read_held_out(served.model(), args.test, args.listeners);
  const ShelfConfig config = default_shelf_config();
  const SimulatorOptions sim_options = args.sim;
  std::size_t held = 0;
  for (const HeldOut& h : listeners) held += h.items.size();
  std::printf("# %s\nmachine: %s\nmodel %s on %s: %d users, %d items; %zu test listeners (%.1f held-out items each)\n",
              command.c_str(), bench::cpu_model().c_str(), served.model().params().to_short_string().c_str(),
              args.store.c_str(), served.model().n_users(), served.model().n_items(), listeners.size(),
              static_cast<double>(held) / std::max<std::size_t>(1, listeners.size()));
  std::printf("simulator: examination %.2f^row x %.2f^card; P(stream|examined) %.2f held-out / %.2f + %.2f x group "
              "affinity other, x exp(%.2f z); satiation exp(-%.2f wear), wear +1 per stream +%.2f per card shown, x%.2f "
              "per round\n",
              sim_options.examination.row_decay, sim_options.examination.card_decay, sim_options.relevant,
              sim_options.base_rate, sim_options.taste, sim_options.noise, sim_options.satiation, sim_options.shown_wear,
              sim_options.satiation_decay);
  std::printf("%d rounds x %zu listeners x %d seeds per policy, %d shelves x %d cards a page\n\n", args.rounds,
              listeners.size(), args.seeds, config.max_shelves, config.shelves.front().cards);
  std::fflush(stdout);

  // Every (policy, seed) run is a job; each thread has its own simulator (listener state).
  std::vector<std::string> specs = args.policies;
  specs.push_back("oracle");
  std::vector<PolicyRuns> runs(specs.size());
  for (std::size_t p = 0; p < specs.size(); ++p) runs[p] = PolicyRuns{specs[p], std::vector<std::vector<RoundStats>>(args.seeds)};
  std::atomic<std::size_t> next{0};
  const std::size_t jobs = specs.size() * static_cast<std::size_t>(args.seeds);
  std::vector<std::thread> pool;
  for (std::int32_t t = 0; t < args.threads; ++t)
    pool.emplace_back([&] {
      ListenerSimulator sim(served, config, listeners, sim_options);
      for (std::size_t job; (job = next.fetch_add(1)) < jobs;) {
        const std::size_t p = job / static_cast<std::size_t>(args.seeds), seed = job % static_cast<std::size_t>(args.seeds);
        OraclePolicy oracle;
        std::unique_ptr<Policy> shelves, cards;
        if (specs[p] != "oracle") shelves = make_policy(specs[p]), cards = make_policy(specs[p]);
        Policy& s = shelves ? *shelves : oracle;
        Policy& c = cards ? *cards : oracle;
        runs[p].seeds[seed] = simulate(sim, s, c, RunOptions{args.rounds, 1000 + seed, true, nullptr});
        std::fprintf(stderr, "%s seed %zu: %.0f streams\n", specs[p].c_str(), seed, cumulative(runs[p].seeds[seed], 1u << 30));
      }
    });
  for (std::thread& t : pool) t.join();
  const PolicyRuns& oracle = runs.back();
  const double pages = static_cast<double>(listeners.size()) * args.rounds;
  const double catalogue = served.model().n_items();

  std::ostringstream table;
  table << "| policy | cumulative streams [95% CI] | streams / page | regret vs oracle [95% CI] | items shown (coverage) | "
           "distinct items, last round | artists-or-tags a page, last round | repeat share, last round | exposure Gini, last round |\n"
           "|---|---|---|---|---|---|---|---|---|\n";
  for (const PolicyRuns& run : runs) {
    std::vector<double> total, regret, coverage, distinct, groups, repeat, gin;
    for (std::size_t k = 0; k < run.seeds.size(); ++k) {
      const auto& rounds = run.seeds[k];
      total.push_back(cumulative(rounds, rounds.size()));
      regret.push_back(cumulative(oracle.seeds[k], rounds.size()) - total.back());
      coverage.push_back(static_cast<double>(rounds.back().cumulative_items));
      distinct.push_back(static_cast<double>(rounds.back().distinct_items));
      groups.push_back(rounds.back().groups_per_page);
      repeat.push_back(rounds.back().repeat_share);
      gin.push_back(rounds.back().gini);
    }
    const Summary t = summarise(total), g = summarise(regret), c = summarise(coverage);
    table << "| " << run.spec << " | " << ci_text(t, "%.0f") << " | " << fmt("%.3f", t.mean / pages) << " | "
          << (run.spec == "oracle" ? std::string("0") : ci_text(g, "%.0f")) << " | " << fmt("%.0f", c.mean) << " ("
          << fmt("%.1f%%", 100.0 * c.mean / catalogue) << ") | " << fmt("%.0f", summarise(distinct).mean) << " | "
          << fmt("%.1f", summarise(groups).mean) << " | " << fmt("%.3f", summarise(repeat).mean) << " | "
          << fmt("%.3f", summarise(gin).mean) << " |\n";
  }
  std::printf("%s\n", table.str().c_str());
  std::printf("streams a page by round (mean over seeds):\n");
  for (const PolicyRuns& run : runs) {
    std::printf("  %-22s", run.spec.c_str());
    for (std::size_t r = 0; r < static_cast<std::size_t>(args.rounds); ++r) {
      double sum = 0;
      for (const auto& rounds : run.seeds) sum += rounds[r].streams;
      std::printf(" %.3f", sum / static_cast<double>(run.seeds.size()) / static_cast<double>(listeners.size()));
    }
    std::printf("\n");
  }
  std::printf("\n");
  std::fflush(stdout);

  // Off-policy: uniform logs; targets trained online (stateless simulator, seed 7), then frozen.
  SimulatorOptions stateless = sim_options;
  stateless.stateful = false;
  ListenerSimulator iid(served, config, listeners, stateless);
  const auto logger_shelves = make_policy("uniform"), logger_cards = make_policy("uniform");
  std::ostringstream ope_table;
  ope_table << "| target (trained 10 rounds, frozen) | truth: top-row stream rate [95% CI] | IPW | SNIPW | DM | DR | ESS / logged cards | max weight |\n"
               "|---|---|---|---|---|---|---|---|\n";
  // --ope-rounds 0: the policy comparison alone.
  const std::vector<std::string> targets = args.ope_rounds > 0
      ? std::vector<std::string>{"uniform", "egreedy:epsilon=0.1", "greedy", "egreedy:epsilon=0.3"}
      : std::vector<std::string>{};
  for (const std::string& target : targets) {
    const auto shelves = make_policy(target), cards = make_policy(target);
    simulate(iid, *shelves, *cards, RunOptions{10, 7, true, nullptr});
    OffPolicyOptions options;
    options.log_rounds = args.ope_rounds;
    options.truth_rounds = args.ope_rounds;
    options.seed = 11;
    const OffPolicyComparison result = compare_off_policy(iid, *logger_shelves, *logger_cards, *shelves, *cards, options);
    ope_table << "| " << target << " | " << fmt("%.4f", result.truth) << " [" << fmt("%.4f", result.truth_lo) << ", "
              << fmt("%.4f", result.truth_hi) << "] (E " << fmt("%.4f", result.truth_expected) << ")";
    for (const OffPolicyEstimate& e : result.estimates) {
      const bool covers = e.lo <= result.truth && result.truth <= e.hi;
      ope_table << " | " << fmt("%.4f", e.value) << " [" << fmt("%.4f", e.lo) << ", " << fmt("%.4f", e.hi) << "]"
                << (covers ? "" : " ✗");
    }
    ope_table << " | " << fmt("%.0f", result.effective_sample_size) << " / " << result.logged_cards << " | "
              << fmt("%.0f", result.max_weight) << " |\n";
  }
  if (!targets.empty())
    std::printf("off-policy (uniform logger, %d pages per listener, top row only; ✗ = CI misses the truth):\n%s\n",
                args.ope_rounds, ope_table.str().c_str());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("%.0f s in all\n", seconds);

  // The report.
  std::vector<Series> streams, regret, distinct, coverage, groups, repeats, ginis;
  for (const PolicyRuns& run : runs) {
    streams.push_back(per_round(run, [&](std::size_t k, std::size_t r) { return cumulative(run.seeds[k], r); }));
    if (run.spec != "oracle")
      regret.push_back(per_round(run, [&](std::size_t k, std::size_t r) {
        return cumulative(oracle.seeds[k], r) - cumulative(run.seeds[k], r);
      }));
    distinct.push_back(per_round(run, [&](std::size_t k, std::size_t r) { return double(run.seeds[k][r].distinct_items); }));
    coverage.push_back(per_round(run, [&](std::size_t k, std::size_t r) { return double(run.seeds[k][r].cumulative_items) / catalogue; }));
    groups.push_back(per_round(run, [&](std::size_t k, std::size_t r) { return run.seeds[k][r].groups_per_page; }));
    repeats.push_back(per_round(run, [&](std::size_t k, std::size_t r) { return run.seeds[k][r].repeat_share; }));
    ginis.push_back(per_round(run, [&](std::size_t k, std::size_t r) { return run.seeds[k][r].gini; }));
  }
  const auto markdown_table = [](const std::string& md) {
    std::ostringstream html;
    std::stringstream lines(md);
    std::string line;
    bool header = true;
    html << "<table>";
    while (std::getline(lines, line)) {
      if (line.rfind("|---", 0) == 0) continue;
      html << "<tr>";
      std::stringstream cells(line.substr(1));
      for (std::string cell; std::getline(cells, cell, '|');)
        if (!cell.empty()) html << (header ? "<th>" : "<td>") << cell << (header ? "</th>" : "</td>");
      html << "</tr>";
      header = false;
    }
    html << "</table>";
    return html.str();
  };
  std::ofstream html(args.html);
  html << "<!doctype html><html><head><meta charset='utf-8'><title>segue home simulator</title><style>"
          "body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:1em 0}"
          "td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}th{background:#f4f4f4}svg{margin:8px}"
          "</style></head><body><h1>Home screen policies in the listener simulator</h1><p><code>"
       << command << "</code><br>" << bench::cpu_model() << "; " << listeners.size() << " test listeners, " << args.rounds
       << " rounds, " << args.seeds << " seeds; bands are 95% CIs over seeds.</p>" << markdown_table(table.str())
       << line_chart("Cumulative streams", "streams", streams) << line_chart("Regret vs oracle", "streams", regret)
       << line_chart("Distinct items shown per round", "items", distinct)
       << line_chart("Catalogue coverage (items shown so far)", "share of catalogue", coverage)
       << line_chart("Distinct artists/tags per page", "groups", groups)
       << line_chart("Cards repeated from the previous page", "share", repeats)
       << line_chart("Exposure Gini per round", "Gini", ginis);
  if (!targets.empty())
    html << "<h2>Off-policy estimates vs the simulated truth</h2><p>Logger: uniform shelves and cards. Estimand: stream rate "
            "of the top row's cards (exact marginal propensities there; ✗ = the CI misses the truth).</p>"
         << markdown_table(ope_table.str());
  html << "</body></html>\n";
  std::printf("report: %s\n", args.html.c_str());
  return 0;
}
