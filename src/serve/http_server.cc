#include "serve/http_server.h"

#include <httplib.h>

#include <chrono>

#include "data/error.h"
#include "serve/service.h"

namespace segue {
namespace {

using nlohmann::json;

// JSON text of an answer. Messages quote ids through printable_utf8, so every string should be UTF-8; should
// one not be, it is written with U+FFFD rather than failing the answer with a 500.
std::string json_text(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

json error_body(const std::string& message, const std::string& field) {
  json out = {{"error", message}};
  if (!field.empty()) out["field"] = field;
  return out;
}

QueryParams query_of(const httplib::Request& request) {
  return QueryParams(request.params.begin(), request.params.end());
}

json parse_body(const httplib::Request& request) { return parse_json_body(request.body); }

}  // namespace

bool same_secret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

struct HttpServer::Impl {
  Service& service;
  HttpOptions options;
  httplib::Server server;

  enum class Access { kOpen, kRead, kWrite };

  bool authorised(const httplib::Request& request, Access access) const {
    if (options.token.empty() || access == Access::kOpen) return true;
    if (access == Access::kRead && !options.private_reads) return true;
    const std::string header = request.get_header_value("Authorization");
    static const std::string kBearer = "Bearer ";
    if (header.size() <= kBearer.size() || header.compare(0, kBearer.size(), kBearer) != 0) return false;
    return same_secret(header.substr(kBearer.size()), options.token);
  }

  // Wraps a handler: auth, JSON errors, exceptions, metrics.
  template <class Body>
  httplib::Server::Handler route(const std::string& name, Access access, Body body) {
    const std::size_t endpoint = service.metrics().endpoint(name);
    return [this, endpoint, access, body](const httplib::Request& request, httplib::Response& response) {
      const auto start = std::chrono::steady_clock::now();
      try {
        if (!authorised(request, access)) {
          response.status = 401;
          response.set_header("WWW-Authenticate", "Bearer");
          response.set_content(json_text(error_body("authorization: a valid 'Authorization: Bearer TOKEN' header is required",
                                          "authorization")),
                               "application/json");
        } else {
          body(request, response);
        }
      } catch (const ApiError& error) {
        response.status = error.status();
        response.set_content(json_text(error_body(error.what(), error.field())), "application/json");
      } catch (const UsageError& error) {
        response.status = 400;
        response.set_content(json_text(error_body(error.what(), "")), "application/json");
      } catch (const std::exception& error) {
        service.metrics().count_handler_exception();
        response.status = 500;
        response.set_content(json_text(error_body(std::string("internal error: ") + error.what(), "")), "application/json");
      }
      service.metrics().observe(endpoint, response.status,
                                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    };
  }

  static void send(httplib::Response& response, const json& body, int status = 200) {
    response.status = status;
    response.set_content(json_text(body), "application/json");
  }

  Impl(Service& s, HttpOptions o) : service(s), options(std::move(o)) {
    const int threads = std::max(1, options.threads);
    server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
    server.set_payload_max_length(options.max_body_bytes);
    server.set_keep_alive_max_count(1000000);
    server.set_keep_alive_timeout(5);
    server.set_read_timeout(10);
    server.set_write_timeout(10);
    server.set_tcp_nodelay(true);
    const std::size_t other = service.metrics().endpoint("other");
    server.set_error_handler([this, other](const httplib::Request&, httplib::Response& response) {
      if (!response.body.empty()) return;  // a route's own JSON error
      const std::string message = response.status == 413
                                      ? "body: larger than " + std::to_string(options.max_body_bytes) + " bytes"
                                  : response.status == 404 ? "no such endpoint (see docs/API.md)"
                                                           : "HTTP " + std::to_string(response.status);
      response.set_content(json_text(error_body(message, response.status == 413 ? "body" : "")), "application/json");
      service.metrics().observe(other, response.status, 0.0);
    });
    server.set_exception_handler([this](const httplib::Request&, httplib::Response& response, std::exception_ptr) {
      service.metrics().count_handler_exception();
      response.status = 500;
      response.set_content(json_text(error_body("internal error", "")), "application/json");
    });

    server.Get("/healthz", route("healthz", Access::kOpen, [this](const auto&, auto& response) {
      send(response, service.health());
    }));
    server.Get("/metrics", route("metrics", Access::kRead, [this](const auto&, auto& response) {
      response.set_content(service.metrics().render(), "text/plain; version=0.0.4");
    }));
    server.Get("/", route("page", Access::kOpen, [](const auto&, auto& response) {
      response.set_content(web_page_html(), "text/html; charset=utf-8");
    }));
    server.Get(R"(/v1/users/([^/]+)/recommendations)",
               route("recommendations", Access::kRead, [this](const auto& request, auto& response) {
                 send(response, service.user_recommendations(request.matches[1], query_of(request)));
               }));
    server.Get(R"(/v1/users/([^/]+)/home)", route("home", Access::kRead, [this](const auto& request, auto& response) {
                 send(response, service.home_page(request.matches[1], query_of(request)));
               }));
    server.Get(R"(/v1/users/([^/]+)/history)", route("history", Access::kRead, [this](const auto& request, auto& response) {
                 send(response, service.user_history(request.matches[1], query_of(request)));
               }));
    server.Get("/v1/users", route("users", Access::kRead, [this](const auto& request, auto& response) {
                 send(response, service.list_users(query_of(request)));
               }));
    server.Post("/v1/recommendations",
                route("history_recommendations", Access::kRead, [this](const auto& request, auto& response) {
                  send(response, service.history_recommendations(parse_body(request)));
                }));
    server.Get(R"(/v1/items/([^/]+)/similar)", route("similar", Access::kRead, [this](const auto& request, auto& response) {
                 send(response, service.similar_items(request.matches[1], query_of(request)));
               }));
    server.Get("/v1/items", route("items", Access::kRead, [this](const auto& request, auto& response) {
                 send(response, service.search_items(query_of(request)));
               }));
    server.Post("/v1/events", route("events", Access::kWrite, [this](const auto& request, auto& response) {
                  send(response, service.post_events(parse_body(request)));
                }));
    server.Post("/v1/admin/reload", route("reload", Access::kWrite, [this](const auto& request, auto& response) {
                  send(response, service.reload(request.body.empty() ? json::object() : parse_body(request)));
                }));
  }
};

HttpServer::HttpServer(Service& service, HttpOptions options)
    : impl_(std::make_unique<Impl>(service, std::move(options))) {}

HttpServer::~HttpServer() = default;

void HttpServer::bind() {
  HttpOptions& o = impl_->options;
  if (o.port == 0) {
    o.port = impl_->server.bind_to_any_port(o.host);
    if (o.port < 0) throw UsageError("--host: cannot listen on " + o.host);
  } else if (!impl_->server.bind_to_port(o.host, o.port)) {
    throw UsageError("--port: cannot listen on " + o.host + ":" + std::to_string(o.port) + " (in use, or not allowed)");
  }
}

int HttpServer::port() const { return impl_->options.port; }
void HttpServer::run() { impl_->server.listen_after_bind(); }
void HttpServer::stop() { impl_->server.stop(); }

}  // namespace segue
