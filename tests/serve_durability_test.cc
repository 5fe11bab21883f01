// `segue serve` as a process: an event acknowledged with 2xx survives a
// kill -9 of the server right after, and SIGTERM drains and exits 0.
#include <gtest/gtest.h>
#include <httplib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "serve_fixture.h"

namespace segue {
namespace {

using nlohmann::json;
using testing::TempDir;

const std::string kToken = "fedcba9876543210fedcba9876543210";

// A port nobody listens on now (bound to 0, read back, closed; a race with
// another process is possible but unlikely on loopback).
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t size = sizeof address;
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  close(fd);
  return ntohs(address.sin_port);
}

struct ServerProcess {
  pid_t pid = -1;
  int port = 0;
  ServerProcess(const std::vector<std::string>& args, int p) : port(p) {
    pid = fork();
    if (pid == 0) {
      std::vector<char*> argv;
      std::vector<std::string> all = {SEGUE_BINARY, "serve"};
      all.insert(all.end(), args.begin(), args.end());
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(SEGUE_BINARY, argv.data());
      _exit(127);
    }
  }
  bool wait_ready() const {
    httplib::Client client("127.0.0.1", port);
    client.set_connection_timeout(1);
    for (int tries = 0; tries < 600; ++tries) {
      if (auto r = client.Get("/healthz"); r && r->status == 200) return true;
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  int finish(int signal_number) {
    kill(pid, signal_number);
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    return status;
  }
  ~ServerProcess() {
    if (pid > 0) finish(SIGKILL);
  }
};

TEST(ServeProcess, AcknowledgedEventsSurviveKillNine) {
  TempDir dir;
  const Dataset world = testing::served_world();
  save_dataset(world, dir.file("store"));
  const std::string model = testing::fit_and_save(world, "itemknn", dir.file("knn.model"));
  dir.write("token", kToken + "\n");
  std::mt19937 rng(11);
  std::int64_t acknowledged = 0;
  for (int round = 0; round < 3; ++round) {
    const int port = free_port();
    const std::vector<std::string> args = {"--model", model, "--data", dir.file("store"), "--port", std::to_string(port),
                                           "--token-file", dir.file("token"), "--events", dir.file("events.db"),
                                           "--threads", "4"};
    ServerProcess server(args, port);
    ASSERT_TRUE(server.wait_ready()) << "segue serve did not become ready";
    std::atomic<bool> stop{false};
    std::atomic<std::int64_t> acked{0};
    std::thread writer([&] {
      httplib::Client client("127.0.0.1", port);
      client.set_bearer_token_auth(kToken.c_str());
      for (int k = 0; !stop; ++k) {
        const std::string body =
            json{{"events", {{{"user", "writer"}, {"item", "t" + std::to_string(k % 36)}, {"event", "play"}}}}}.dump();
        auto res = client.Post("/v1/events", body, "application/json");
        if (!res) break;  // killed
        if (res->status == 200) ++acked;
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 400));
    server.finish(SIGKILL);
    stop = true;
    writer.join();
    acknowledged += acked.load();
    ASSERT_GT(acked.load(), 0) << "round " << round;
    // Restart: every acknowledged event is in the history.
    ServerProcess again(args, port);
    ASSERT_TRUE(again.wait_ready());
    httplib::Client client("127.0.0.1", port);
    auto res = client.Get("/v1/users/writer/history?limit=100000");
    ASSERT_TRUE(res);
    std::int64_t received = 0;
    const json history = json::parse(res->body);
    for (const auto& e : history["events"]) received += e["source"] == "received" ? 1 : 0;
    EXPECT_GE(received, acknowledged) << "round " << round << ": " << res->body.substr(0, 300);
    EXPECT_LE(received, acknowledged + round + 1);  // at most one unacknowledged request in flight per kill
    acknowledged = received;
    // SIGTERM: drains and exits 0.
    const int status = again.finish(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
}

}  // namespace
}  // namespace segue
