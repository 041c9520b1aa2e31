// Integration tests start the real `countersign` binary on 127.0.0.1:0 with a fresh data
// directory and talk HTTP to it (CRAFT.md "Tests that mean something"). No mocked server.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/temp_dir.hpp"

namespace cs::testing {

// The countersign binary of this build tree.
std::filesystem::path countersign_binary();

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  nlohmann::json json() const { return nlohmann::json::parse(out); }
};

// Runs `countersign ARGS...` to completion with `env` added to a minimal environment.
CliResult run_cli(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env = {}, const std::string& stdin_text = {});

class ServerProcess {
 public:
  struct Options {
    std::filesystem::path data_dir;  // required
    std::string database_url;        // empty: SQLite in data_dir
    std::vector<std::string> extra_args;
    std::map<std::string, std::string> env;
  };

  // Starts the server and waits (bounded) for its "listening" log line; throws on failure.
  explicit ServerProcess(Options options);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  const std::string& base_url() const { return base_url_; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  // Sends a signal; wait() reaps the process and returns its exit status (or 128+signal).
  void signal(int sig);
  int wait();
  // Every line the server printed so far (its JSON logs).
  std::vector<std::string> output_lines() const;

 private:
  void drain(int fd);

  Options options_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string base_url_;
  int exit_status_ = -1;
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
  std::thread reader_;
};

struct HttpResponse {
  long status = 0;
  std::multimap<std::string, std::string> headers;  // names lowercased
  std::string body;

  std::string header(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;
  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  long timeout_ms = 30000;
};

// One real HTTP exchange over loopback (libcurl; redirects are not followed).
HttpResponse http(const HttpRequest& request);
inline HttpResponse http_get(const std::string& url) { return http({"GET", url, {}, {}, 30000}); }

// Minimal cookie jar for browser-like flows in C++ tests: keeps name=value from Set-Cookie.
class CookieJar {
 public:
  void absorb(const HttpResponse& response);
  std::string header() const;  // "a=1; b=2"
  std::string get(const std::string& name) const;

 private:
  std::map<std::string, std::string> cookies_;
};

// application/x-www-form-urlencoded encoding of one value.
std::string form_encode(const std::string& value);

}  // namespace cs::testing
