// HttpServer: the HTTP/1.1 face of a Service (cpp-httplib, keep-alive, a fixed
// pool of worker threads). It routes /v1/... to the Service, checks bearer
// tokens on writes (and on reads when they are closed), answers every error as
// JSON {"error", "field"} with its status, and times every request into the
// Service's metrics. stop() ends the listener and waits for the requests in
// flight to finish.
#pragma once

#include <memory>
#include <string>

namespace segue {

class Service;

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                 // 0 = any free port (see port())
  int threads = 8;                 // worker threads (each serves one connection at a time)
  std::string token;               // "" = no authentication
  bool private_reads = false;      // reads need the token too
  std::size_t max_body_bytes = 1 << 20;
};

class HttpServer {
 public:
  HttpServer(Service& service, HttpOptions options);
  ~HttpServer();

  // Binds the port (UsageError naming host:port when it cannot).
  void bind();
  int port() const;
  // Serves until stop(); returns after the workers have finished.
  void run();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Constant-time equality (tokens): the time depends on the lengths only.
bool same_secret(const std::string& a, const std::string& b);

// The web page served at GET / (web_page.cc).
const std::string& web_page_html();

}  // namespace segue
