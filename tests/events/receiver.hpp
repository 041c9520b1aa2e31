// A real HTTP receiver on loopback for the delivery tests: the project's own http::Server with
// one POST route that records what arrives and answers as the test says (status, redirect,
// delay). No mock: deliveries go over TCP through libcurl exactly as in production.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/server.hpp"

namespace cs::events::testing {

struct Received {
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
};

class Receiver {
 public:
  // port 0 picks a free one; a given port lets a test bring a receiver "back up".
  explicit Receiver(std::uint16_t port = 0) {
    router_.add("POST", "/hook", [this](http::Request& req) {
      Received r;
      for (const auto& [name, value] : req.headers) {
        std::string lower;
        for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[lower] = value;
      }
      r.body = req.body;
      int status;
      std::string location;
      std::chrono::milliseconds delay;
      {
        std::lock_guard lock(mu_);
        received_.push_back(std::move(r));
        status = status_;
        location = location_;
        delay = delay_;
      }
      if (delay.count() > 0) std::this_thread::sleep_for(delay);
      if (!location.empty()) return http::Response::redirect(status, location);
      if (status == 204) return http::Response::text(204, "");
      return http::Response::text(status, status >= 200 && status < 300 ? "ok" : "receiver says no");
    });
    http::ServerOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    o.io_threads = 1;
    o.worker_threads = 2;
    o.access_log = false;
    o.shutdown_grace = std::chrono::milliseconds(3000);
    server_ = std::make_unique<http::Server>(o, router_, metrics_);
    auto started = server_->start();
    if (!started) throw std::runtime_error("receiver: " + started.error().detail());
    thread_ = std::thread([this] { server_->run(); });
  }
  ~Receiver() {
    server_->request_stop();
    thread_.join();
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  std::uint16_t port() const { return server_->port(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()) + "/hook"; }

  void respond(int status, std::string location = {}) {
    std::lock_guard lock(mu_);
    status_ = status;
    location_ = std::move(location);
  }
  void delay(std::chrono::milliseconds d) {
    std::lock_guard lock(mu_);
    delay_ = d;
  }
  std::vector<Received> received() const {
    std::lock_guard lock(mu_);
    return received_;
  }

 private:
  http::Router router_;
  http::Metrics metrics_;
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<Received> received_;
  int status_ = 200;
  std::string location_;
  std::chrono::milliseconds delay_{0};
};

}  // namespace cs::events::testing
