#include "support/pg_cluster.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "store/database.hpp"

namespace cs::testing {
namespace {

const std::string kPgBin = "/usr/lib/postgresql/15/bin/";
constexpr uid_t kNobodyUid = 65534;
constexpr gid_t kNobodyGid = 65534;

bool running_as_root() { return geteuid() == 0; }

// initdb and postgres refuse to run as root, so as root every server command runs as `nobody`
// through setpriv (util-linux, present on every Debian). As a normal user they run directly.
std::vector<std::string> as_server_user(std::vector<std::string> argv) {
  if (!running_as_root()) return argv;
  std::vector<std::string> out = {"/usr/bin/setpriv", "--reuid=" + std::to_string(kNobodyUid),
                                  "--regid=" + std::to_string(kNobodyGid), "--clear-groups", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs argv with cwd `dir`, stdout+stderr appended to `log`; returns the exit status.
int run(const std::vector<std::string>& args, const std::filesystem::path& dir,
        const std::filesystem::path& log) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd < 0) throw std::runtime_error("cannot open " + log.string());
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    if (chdir(dir.c_str()) != 0) _exit(126);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

PgCluster::PgCluster() {
  // Always /tmp: Unix socket paths are limited to ~107 bytes and `nobody` must reach the dir.
  std::string tmpl = "/tmp/cs-pg-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed for the PostgreSQL cluster");
  dir_ = tmpl;
  if (running_as_root() && chown(dir_.c_str(), kNobodyUid, kNobodyGid) != 0) {
    throw std::runtime_error("chown of " + dir_.string() + " to nobody failed");
  }
  auto data = dir_ / "data";
  auto log = dir_ / "setup.log";
  auto server_log = dir_ / "server.log";
  auto fail_with_log = [&](const std::string& what) {
    std::string text =
        what + "\n--- setup.log ---\n" + slurp(log) + "\n--- server.log ---\n" + slurp(server_log);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw std::runtime_error(text);
  };
  int rc = run(as_server_user({kPgBin + "initdb", "-D", data.string(), "-A", "trust", "-U",
                               "postgres", "-E", "UTF8", "--locale=C", "--no-sync"}),
               dir_, log);
  if (rc != 0) fail_with_log("initdb failed with status " + std::to_string(rc));
  std::string server_opts =
      "-k " + dir_.string() + " -c listen_addresses='' -c fsync=off -c max_connections=200";
  rc = run(as_server_user({kPgBin + "pg_ctl", "-D", data.string(), "-l", server_log.string(), "-w",
                           "-t", "60", "-o", server_opts, "start"}),
           dir_, log);
  if (rc != 0) fail_with_log("pg_ctl start failed with status " + std::to_string(rc));
  started_ = true;
}

PgCluster::~PgCluster() {
  if (started_) {
    try {
      run(as_server_user(
              {kPgBin + "pg_ctl", "-D", (dir_ / "data").string(), "-m", "immediate", "-w", "stop"}),
          dir_, dir_ / "setup.log");
    } catch (...) {
      // Best effort at exit; the directory is removed either way.
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

PgCluster& PgCluster::shared() {
  // Function-local static: started on first use, destroyed (server stopped) at normal exit.
  static PgCluster cluster;
  return cluster;
}

std::string PgCluster::url(std::string_view dbname) const {
  return "postgresql:///" + std::string(dbname) + "?host=" + dir_.string() + "&user=postgres";
}

std::string PgCluster::create_database(std::string_view name) {
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) throw std::invalid_argument("database name must be [a-z0-9_]: " + std::string(name));
  }
  auto admin = store::open_database({.url = url(), .pool_size = 1});
  if (!admin) throw std::runtime_error("cannot reach the test cluster: " + admin.error().detail());
  auto conn = (*admin)->connect();
  if (!conn)
    throw std::runtime_error("cannot connect to the test cluster: " + conn.error().detail());
  auto st = (*conn)->exec_script("CREATE DATABASE " + std::string(name));
  if (!st) throw std::runtime_error("CREATE DATABASE failed: " + st.error().detail());
  return url(name);
}

std::string PgCluster::create_fresh_database() {
  static std::mutex mu;
  std::lock_guard lock(mu);
  return create_database("t" + std::to_string(++next_db_));
}

}  // namespace cs::testing
