// segue serve: parses the options and starts the service (src/serve); the
// server itself calls library entry points only. SIGINT/SIGTERM stop the
// listener, the requests in flight finish, pending events are committed, and
// the process exits 0.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "data/error.h"
#include "serve/http_server.h"
#include "serve/service.h"
#include "util/thread_pool.h"

namespace segue::cli {
namespace {

// SIGINT/SIGTERM: the handler only writes to a pipe that a waiter thread
// reads (a handler may run on any thread — OpenBLAS starts its threads before
// main, so masking signals cannot route them to one thread).
int stop_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int signal_number) {
  const char byte = static_cast<char>(signal_number);
  const ssize_t ignored = write(stop_pipe[1], &byte, 1);
  (void)ignored;
}

std::string read_token(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError("--token-file: cannot read '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.size() < 16) throw UsageError("--token-file: '" + path + "' must hold a token of at least 16 characters");
  return token;
}

}  // namespace

void add_serve_command(CLI::App& app) {
  struct Args {
    ServiceOptions service;
    HttpOptions http;
    std::string token_file, durability = "full";
    int threads = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve a model over HTTP: recommendations, events, reload (docs/API.md)");
  cmd->add_option("--model", args->service.model_path, "Model file from `segue train`")->required();
  cmd->add_option("--data", args->service.data_dir, "Store directory (item names, artists, audio features, hours)");
  cmd->add_option("--host", args->http.host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", args->http.port, "Port (0 = any free port)")->capture_default_str();
  cmd->add_option("--threads", args->threads, "Worker threads, each serving one connection at a time (default: 2 x cores, at least 8)");
  cmd->add_option("--events", args->service.events_path, "SQLite database of received events (created if missing)");
  cmd->add_option("--durability", args->durability, "full (survives power loss) or normal (survives a crash of segue)")
      ->capture_default_str();
  cmd->add_option("--token-file", args->token_file, "File holding the bearer token that writes (and --private-reads) need");
  cmd->add_flag("--private-reads", args->http.private_reads, "Reads need the token too");
  cmd->add_option("--ann", args->service.ann, "hnsw (ANN index for models whose scores are inner products: factor models, lightgcn, sasrec, gru4rec, multvae) or exact")->capture_default_str();
  cmd->add_option("--ef", args->service.ann_ef_search, "HNSW search breadth (recall vs speed)")->capture_default_str();
  cmd->add_flag("!--no-index-file", args->service.save_index, "Do not read or write MODEL.hnsw beside the model");
  cmd->add_option("--candidates-model", args->service.candidate_models,
                  "Two-stage serving: a model (repeatable) whose top --candidates items per listener are the only "
                  "ones --model ranks");
  cmd->add_option("--candidates", args->service.candidates, "Candidates per --candidates-model")->capture_default_str();
  cmd->add_option("--home-shelves", args->service.home.shelves_path,
                  "Shelf configuration (JSON; docs/HOME.md) of the home page (default: the nine built-in shelves)");
  cmd->add_option("--home-policy", args->service.home.card_policy,
                  "Policy that picks each shelf's cards (uniform, greedy, egreedy:epsilon=E, thompson, linucb:alpha=A)")
      ->capture_default_str();
  cmd->add_option("--home-shelf-policy", args->service.home.shelf_policy, "Policy that orders the shelves")
      ->capture_default_str();
  cmd->add_option("--experiment", args->service.home.experiment_path,
                  "A/B experiment over home card policies (JSON: name, salt, arms with name, share and policy spec; docs/AB.md)");
  cmd->add_option("--max-body", args->http.max_body_bytes, "Largest request body in bytes (413 beyond)")->capture_default_str();
  cmd->callback([args] {
    if (args->durability == "full") args->service.durability = Durability::kFull;
    else if (args->durability == "normal") args->service.durability = Durability::kNormal;
    else throw UsageError("--durability: expected full or normal, got '" + args->durability + "'");
    if (args->http.port < 0 || args->http.port > 65535) throw UsageError("--port: expected 0..65535");
    if (args->threads < 0 || args->threads > 1024) throw UsageError("--threads: expected 1..1024");
    if (!args->token_file.empty()) args->http.token = read_token(args->token_file);
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    args->http.threads = args->threads > 0 ? args->threads : static_cast<int>(std::max(8u, 2 * cores));
    set_default_threads(static_cast<int>(cores));
    if (pipe2(stop_pipe, O_CLOEXEC) != 0) throw std::runtime_error("serve: cannot create the signal pipe");
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not end the server
    Service service(args->service);
    HttpServer server(service, args->http);
    server.bind();
    std::thread waiter([&server] {
      char byte = 0;
      while (read(stop_pipe[0], &byte, 1) < 0 && errno == EINTR) {
      }
      if (byte != 0) std::fprintf(stderr, "segue serve: signal %d, finishing requests in flight\n", static_cast<int>(byte));
      server.stop();
    });
    const auto served = service.current();
    std::fprintf(stderr, "segue serve: http://%s:%d/ — %s, %d items, %d users, %s, ready in %.2f s%s\n",
                 args->http.host.c_str(), server.port(), served->model().params().to_short_string().c_str(),
                 served->model().n_items(), served->model().n_users(),
                 served->ann() != nullptr ? "hnsw index" : "exact scoring", service.startup_seconds(),
                 args->service.events_path.empty() ? " (no --events: received events are not durable)" : "");
    server.run();
    on_stop_signal(0);  // wakes the waiter if run() ended for another reason
    waiter.join();
    std::fprintf(stderr, "segue serve: stopped\n");
  });
}

}  // namespace segue::cli
