#include "server_process.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>

extern char** environ;

namespace cs::testing {
namespace {

std::vector<char*> to_argv(std::vector<std::string>& items) {
  std::vector<char*> out;
  for (auto& s : items) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// The child's environment: this process's environment without COUNTERSIGN_* (so a developer's
// shell cannot change a test), plus `extra`, plus the fast password profile.
std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string::npos || kv.rfind("COUNTERSIGN_", 0) == 0) continue;
    env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  env["COUNTERSIGN_PASSWORD_PROFILE"] = "minimal";
  for (const auto& [k, v] : extra) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

pid_t spawn(std::vector<std::string> args, const std::map<std::string, std::string>& env, int out_fd,
            int err_fd, int in_fd) {
  auto envs = child_environment(env);
  auto argv = to_argv(args);
  auto envp = to_argv(envs);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

std::string read_all(int fd) {
  std::string out;
  char buf[8192];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::size_t collect_body(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

std::size_t collect_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* headers = static_cast<std::multimap<std::string, std::string>*>(user);
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    auto b = value.find_first_not_of(" \t");
    auto e = value.find_last_not_of(" \t\r\n");
    value = b == std::string::npos ? "" : value.substr(b, e - b + 1);
    headers->emplace(name, value);
  } else if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();  // a new response (e.g. after 100-continue)
  }
  return size * n;
}

}  // namespace

std::filesystem::path countersign_binary() {
  const char* dir = std::getenv("CS_BINARY_DIR");
  if (!dir) throw std::runtime_error("CS_BINARY_DIR is not set (run through ctest)");
  return std::filesystem::path(dir) / "src/app/countersign";
}

CliResult run_cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                  const std::string& stdin_text) {
  int out[2], err[2], in[2];
  if (pipe(out) || pipe(err) || pipe(in)) throw std::runtime_error("pipe failed");
  std::vector<std::string> full{countersign_binary().string()};
  full.insert(full.end(), args.begin(), args.end());
  pid_t pid = spawn(full, env, out[1], err[1], in[0]);
  close(out[1]);
  close(err[1]);
  close(in[0]);
  if (!stdin_text.empty()) (void)!write(in[1], stdin_text.data(), stdin_text.size());
  close(in[1]);
  CliResult result;
  std::thread err_reader([&] { result.err = read_all(err[0]); });
  result.out = read_all(out[0]);
  err_reader.join();
  close(out[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = decode_status(status);
  return result;
}

ServerProcess::ServerProcess(Options options) : options_(std::move(options)) {
  int out[2];
  if (pipe(out)) throw std::runtime_error("pipe failed");
  int devnull = open("/dev/null", O_RDONLY);
  std::vector<std::string> args{countersign_binary().string(), "serve", "--listen", "127.0.0.1:0",
                                "--data-dir", options_.data_dir.string()};
  if (!options_.database_url.empty()) {
    args.push_back("--database");
    args.push_back(options_.database_url);
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  pid_ = spawn(args, options_.env, out[1], out[1], devnull);
  close(out[1]);
  close(devnull);
  reader_ = std::thread([this, fd = out[0]] { drain(fd); });

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mu_);
      for (const auto& line : lines_) {
        if (line.find("\"listening\"") == std::string::npos) continue;
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_object() && j.contains("url")) {
          base_url_ = j["url"].get<std::string>();
          port_ = j["port"].get<int>();
          return;
        }
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_status_ = decode_status(status);
      pid_ = -1;
      reader_.join();
      std::string all;
      for (const auto& l : lines_) all += l + "\n";
      throw std::runtime_error("countersign exited early with " + std::to_string(exit_status_) + ":\n" + all);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("countersign did not start listening in time");
}

void ServerProcess::drain(int fd) {
  std::string pending;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    pending.append(buf, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::lock_guard lock(mu_);
      lines_.push_back(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
  }
  close(fd);
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
  if (reader_.joinable()) reader_.join();
}

void ServerProcess::signal(int sig) {
  if (pid_ > 0) kill(pid_, sig);
}

int ServerProcess::wait() {
  if (pid_ > 0) {
    int status = 0;
    waitpid(pid_, &status, 0);
    exit_status_ = decode_status(status);
    pid_ = -1;
    if (reader_.joinable()) reader_.join();
  }
  return exit_status_;
}

std::vector<std::string> ServerProcess::output_lines() const {
  std::lock_guard lock(mu_);
  return lines_;
}

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::vector<std::string> HttpResponse::all(const std::string& name) const {
  std::vector<std::string> out;
  auto [b, e] = headers.equal_range(name);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

HttpResponse http(const HttpRequest& request) {
  static const bool initialised = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  if (!initialised) throw std::runtime_error("curl_global_init failed");
  CURL* curl = curl_easy_init();
  HttpResponse response;
  curl_slist* headers = nullptr;
  for (const auto& [k, v] : request.headers) headers = curl_slist_append(headers, (k + ": " + v).c_str());
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, request.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) throw std::runtime_error(std::string("HTTP request failed: ") + curl_easy_strerror(rc));
  return response;
}

void CookieJar::absorb(const HttpResponse& response) {
  for (const auto& sc : response.all("set-cookie")) {
    auto semi = sc.find(';');
    auto pair = sc.substr(0, semi);
    auto eq = pair.find('=');
    if (eq == std::string::npos) continue;
    auto name = pair.substr(0, eq);
    auto value = pair.substr(eq + 1);
    bool expired = sc.find("Max-Age=0") != std::string::npos;
    if (expired || value.empty()) {
      cookies_.erase(name);
    } else {
      cookies_[name] = value;
    }
  }
}

std::string CookieJar::header() const {
  std::string out;
  for (const auto& [k, v] : cookies_) {
    if (!out.empty()) out += "; ";
    out += k + "=" + v;
  }
  return out;
}

std::string CookieJar::get(const std::string& name) const {
  auto it = cookies_.find(name);
  return it == cookies_.end() ? std::string() : it->second;
}

std::string form_encode(const std::string& value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace cs::testing
