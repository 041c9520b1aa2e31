// Call-log benchmarks and the synthetic log generator (issue 5 "Done when", DESIGN.md budgets:
// ingest >= 200,000 rows/s batched; happy_path_calls + behaviour_report for one app and one day
// over a 10-million-row log < 1 s). bench/calllog drives it on SQLite and PostgreSQL.
//
//   bench_calllog generate --db URL --rows N [--days 30] [--batch 8192]
//   bench_calllog ingest   --db URL --rows N [--batch 4096] [--recorder 1] [--writer write_calls]
//   bench_calllog review   --db URL [--date 2026-10-15] [--repeat 5]
//   --server-pid PID: the PostgreSQL postmaster; ingest also reports the server's CPU seconds
//   (postmaster, backends, WAL writer, checkpointer) spent while the rows were written.
//
// URL: a SQLite file path or postgresql://... (migrated here). The log has a realistic shape:
// 200 apps with a skewed share of the traffic (app "app_bench000" is the busiest, about a tenth
// of all calls, which is the one `review` reads), each with its own accounts and envelopes, a
// route mix of status reads, creations, document downloads and auth calls, 92 % 2xx and a tail
// of 4xx/5xx codes with their error codes, 429s, and polling violations on a few status reads.
// Output is "name value" lines for the script. --writer picks the batch writer of ingest and
// generate: append_calls (default; COPY on PostgreSQL, write_calls on SQLite) or write_calls
// (multi-row INSERTs on both, the baseline).
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <unistd.h>

#include "calllog/call_writer.hpp"
#include "calllog/recorder.hpp"
#include "calllog/retention.hpp"
#include "calllog/review.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"

namespace {

using namespace cs;
using Clock = std::chrono::steady_clock;

// 2026-10-01T00:00:00Z: the generated log covers `days` UTC days from here.
constexpr Micros kFirstDay = 1790812800LL * kMicrosPerSecond;
constexpr int kApps = 200;

[[noreturn]] void die(const std::string& what, const Error& e) {
  std::fprintf(stderr, "bench_calllog: %s: %s / %s\n", what.c_str(), e.message().c_str(), e.detail().c_str());
  std::exit(1);
}

// splitmix64: fast, deterministic, good enough for a traffic shape.
struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  std::uint64_t below(std::uint64_t n) { return next() % n; }
};

std::string base62_id(std::string_view prefix, Rng& rng) {
  static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string id(prefix);
  id.push_back('_');
  for (int i = 0; i < 22; ++i) id.push_back(kAlphabet[rng.below(62)]);
  return id;
}

std::string numbered(std::string_view prefix, std::uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%03llu", static_cast<unsigned long long>(n));
  return std::string(prefix) + buf;
}

struct Route {
  const char* method;
  const char* path;
  bool envelope;  // carries an envelope resource id
  bool auth;
  bool status_read;  // counts for the polling rule
  double weight;
};
constexpr Route kRoutes[] = {
    {"GET", "/v1/envelopes/{id}", true, false, true, 28},
    {"GET", "/v1/envelopes/{id}/recipients", true, false, true, 7},
    {"POST", "/v1/envelopes", false, false, false, 10},
    {"GET", "/v1/envelopes", false, false, false, 8},
    {"PUT", "/v1/envelopes/{id}", true, false, false, 4},
    {"GET", "/v1/envelopes/{id}/documents/{document_id}", true, false, false, 6},
    {"POST", "/v1/envelopes/{id}/views/recipient", true, false, false, 5},
    {"GET", "/v1/accounts/{id}", false, false, false, 6},
    {"GET", "/v1/users/me", false, false, false, 4},
    {"POST", "/v1/webhooks", false, false, false, 2},
    {"POST", "/oauth/token", false, true, false, 8},
    {"GET", "/oauth/userinfo", false, true, false, 2},
};

struct Outcome {
  int status;
  const char* code;
  double weight;
};
constexpr Outcome kOutcomes[] = {
    {200, "", 80},
    {201, "", 12},
    {400, "invalid_request", 1.5},
    {401, "invalid_token", 1.5},
    {403, "insufficient_scope", 0.5},
    {404, "not_found", 2},
    {409, "invalid_transition", 0.5},
    {422, "validation_failed", 1},
    {429, "rate_limited", 0.7},
    {500, "internal", 0.2},
    {503, "unavailable", 0.1},
};

template <class T, std::size_t N>
const T& pick(const T (&items)[N], Rng& rng) {
  double total = 0;
  for (const auto& i : items) total += i.weight;
  double x = rng.unit() * total;
  for (const auto& i : items) {
    if ((x -= i.weight) < 0) return i;
  }
  return items[N - 1];
}

// Calls spread evenly over [kFirstDay, kFirstDay + days), oldest first; the same arguments
// generate the same log.
class Traffic {
 public:
  // `rows` calls over `days` days.
  Traffic(int days, std::uint64_t rows, std::uint64_t seed)
      : step_(static_cast<double>(days * calllog::kMicrosPerDay) / static_cast<double>(std::max<std::uint64_t>(rows, 1))),
        rng_{seed} {}

  calllog::CallRecord next() {
    calllog::CallRecord c;
    // Skewed app popularity (a product of three uniforms): app 0 takes about 10 % of the calls.
    auto app = static_cast<std::uint64_t>(kApps * rng_.unit() * rng_.unit() * rng_.unit());
    const Route& route = pick(kRoutes, rng_);
    const Outcome& outcome = route.auth ? kOutcomes[rng_.below(50) ? 0 : 3] : pick(kOutcomes, rng_);
    c.id = base62_id("call", rng_);
    // Calls arrive in time order, as the recorder writes them: evenly spread, a little jitter.
    c.at = kFirstDay + static_cast<Micros>(static_cast<double>(seq_++) * step_) + static_cast<Micros>(rng_.below(1000));
    c.request_id = base62_id("req", rng_);
    c.app_id = numbered("app_bench", app);
    c.app_version_id = numbered("apv_bench", app);
    c.partner_org_id = numbered("org_bench", app / 4);
    c.account_id = numbered("acc_bench", app * 50 + rng_.below(50));
    c.user_id = numbered("usr_bench", app * 20 + rng_.below(20));
    c.auth = route.auth;
    c.method = route.method;
    c.route = route.path;
    if (route.envelope) c.resource_id = numbered("env_bench", app * 5000 + rng_.below(5000));
    c.status = outcome.status;
    c.error_code = outcome.code;
    c.latency_us = 1500 + static_cast<std::int64_t>(rng_.unit() * rng_.unit() * 80'000);
    c.bytes_in = std::string_view(route.method) == "GET" ? 0 : 200 + static_cast<std::int64_t>(rng_.below(4000));
    c.bytes_out = 150 + static_cast<std::int64_t>(rng_.below(3000));
    c.client_ip = "203.0.113." + std::to_string(app % 250 + 1);
    c.user_agent = "bench-connector/" + std::to_string(1 + app % 7) + ".0";
    c.polling_violation = route.status_read && outcome.status < 300 && rng_.below(50) == 0;
    return c;
  }

 private:
  double step_;
  std::uint64_t seq_ = 0;
  Rng rng_;
};

struct Args {
  std::string cmd, db;
  std::uint64_t rows = 1'000'000;
  std::size_t batch = 4096;
  int days = 30;
  int repeat = 5;
  bool recorder = false;
  bool copy = true;  // --writer append_calls
  long server_pid = 0;
  std::string date = "2026-10-15";
};

Args parse(int argc, char** argv) {
  Args a;
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_calllog generate|ingest|review --db URL [options]\n");
    std::exit(2);
  }
  a.cmd = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string_view k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--db") a.db = v;
    else if (k == "--rows") a.rows = std::strtoull(v, nullptr, 10);
    else if (k == "--batch") a.batch = std::strtoull(v, nullptr, 10);
    else if (k == "--days") a.days = std::atoi(v);
    else if (k == "--repeat") a.repeat = std::atoi(v);
    else if (k == "--date") a.date = v;
    else if (k == "--server-pid") a.server_pid = std::atol(v);
    else if (k == "--recorder") a.recorder = std::string_view(v) == "1";
    else if (k == "--writer" && (std::string_view(v) == "append_calls" || std::string_view(v) == "write_calls"))
      a.copy = std::string_view(v) == "append_calls";
    else {
      std::fprintf(stderr, "bench_calllog: unknown option %s\n", argv[i]);
      std::exit(2);
    }
  }
  if (a.db.empty() || a.batch == 0 || a.days <= 0) {
    std::fprintf(stderr, "bench_calllog: --db is required; --batch and --days must be positive\n");
    std::exit(2);
  }
  return a;
}

std::unique_ptr<store::Database> open(const Args& a) {
  store::DatabaseOptions opts;
  opts.url = a.db;
  opts.pool_size = 4;
  auto db = store::open_database(opts);
  if (!db) die("open", db.error());
  if (auto m = store::migrate(**db); !m) die("migrate", m.error());
  // PostgreSQL: one partition per generated day, as maintenance would have created them.
  auto made = calllog::ensure_partitions(**db, kFirstDay + calllog::kMicrosPerDay, a.days);
  if (!made) die("partitions", made.error());
  return std::move(*db);
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// CPU time of the whole process (every thread): on a shared machine, wall-clock rows/s depend on
// what else runs; rows per CPU-second do not.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// CPU seconds of a process (utime + stime) and, with `children`, of its children that have
// exited (cutime + cstime), from /proc/PID/stat; 0 when it cannot be read.
double process_cpu_seconds(const std::string& pid, bool children) {
  std::FILE* f = std::fopen(("/proc/" + pid + "/stat").c_str(), "r");
  if (!f) return 0;
  char buf[1024];
  std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  const char* p = std::strrchr(buf, ')');  // the command name may hold spaces
  if (!p) return 0;
  unsigned long long utime = 0, stime = 0;
  long long cutime = 0, cstime = 0;
  // Fields 3..17 of proc(5): state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
  // cmajflt utime stime cutime cstime.
  if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld", &utime, &stime, &cutime,
                  &cstime) != 4)
    return 0;
  double ticks = static_cast<double>(utime + stime) + (children ? static_cast<double>(cutime + cstime) : 0.0);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The PostgreSQL server's CPU so far: the postmaster with its exited children, plus every live
// child (backends, WAL writer, checkpointer, background writer).
double server_cpu_seconds(long postmaster) {
  if (postmaster <= 0) return 0;
  const std::string pm = std::to_string(postmaster);
  double total = process_cpu_seconds(pm, true);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string pid = entry.path().filename().string();
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos || pid == pm) continue;
    std::FILE* f = std::fopen(("/proc/" + pid + "/stat").c_str(), "r");
    if (!f) continue;
    char buf[512];
    std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    const char* p = std::strrchr(buf, ')');
    long ppid = 0;
    if (p && std::sscanf(p + 2, "%*c %ld", &ppid) == 1 && ppid == postmaster) total += process_cpu_seconds(pid, false);
  }
  return total;
}

// Writes `a.rows` generated calls in batches of `a.batch`, timing only the writes (the records
// are generated beforehand, one chunk at a time). With --recorder 1 the calls go through the
// Recorder's queue and writer thread instead, as the server submits them.
int ingest(const Args& a, std::uint64_t seed) {
  auto db = open(a);
  Traffic traffic(a.days, a.rows, seed);
  constexpr std::size_t kChunk = 131072;
  std::vector<calllog::CallRecord> chunk;
  chunk.reserve(kChunk);
  Clock::duration spent{};
  double cpu = 0, server_cpu = 0;
  std::uint64_t done = 0;
  calllog::Recorder recorder(*db, calllog::RecorderOptions{65536});
  if (a.recorder) recorder.start();
  while (done < a.rows) {
    chunk.clear();
    while (chunk.size() < kChunk && done + chunk.size() < a.rows) chunk.push_back(traffic.next());
    auto t0 = Clock::now();
    double c0 = cpu_seconds();
    double s0 = server_cpu_seconds(a.server_pid);
    if (a.recorder) {
      for (auto& c : chunk) {
        // Keep within the queue's capacity (the server would drop and count beyond it).
        while (recorder.queued() >= 65536 - 1) std::this_thread::yield();
        recorder.submit(std::move(c));
      }
      recorder.flush();
    } else {
      auto lease = db->connect();
      if (!lease) die("connect", lease.error());
      for (std::size_t i = 0; i < chunk.size(); i += a.batch) {
        auto n = std::min(a.batch, chunk.size() - i);
        auto batch = std::span<const calllog::CallRecord>(chunk).subspan(i, n);
        auto s = a.copy ? calllog::append_calls(**lease, batch) : calllog::write_calls(**lease, batch);
        if (!s) die(a.copy ? "append_calls" : "write_calls", s.error());
      }
    }
    spent += Clock::now() - t0;
    cpu += cpu_seconds() - c0;
    server_cpu += server_cpu_seconds(a.server_pid) - s0;
    done += chunk.size();
  }
  if (a.recorder) {
    recorder.stop();
    if (recorder.dropped() || recorder.failed()) {
      std::fprintf(stderr, "bench_calllog: recorder dropped %llu, failed %llu\n",
                   static_cast<unsigned long long>(recorder.dropped()),
                   static_cast<unsigned long long>(recorder.failed()));
      return 1;
    }
  }
  std::printf("rows %llu\nseconds %.3f\ncpu_seconds %.3f\nrows_per_second %.0f\nrows_per_cpu_second %.0f\n",
              static_cast<unsigned long long>(done), seconds(spent), cpu, static_cast<double>(done) / seconds(spent),
              static_cast<double>(done) / cpu);
  if (a.server_pid > 0) {
    std::printf("server_cpu_seconds %.2f\nrows_per_total_cpu_second %.0f\n", server_cpu,
                static_cast<double>(done) / (cpu + server_cpu));
  }
  return 0;
}

int review(const Args& a) {
  auto db = open(a);
  const std::string app = numbered("app_bench", 0);
  std::vector<double> times;
  double first = 0;
  calllog::HappyPath happy;
  calllog::BehaviourReport report;
  for (int i = 0; i < a.repeat; ++i) {
    auto t0 = Clock::now();
    auto h = calllog::happy_path_calls(*db, app, a.date, "UTC");
    if (!h) die("happy_path_calls", h.error());
    auto r = calllog::behaviour_report(*db, app, h->day_start, h->day_end);
    if (!r) die("behaviour_report", r.error());
    times.push_back(seconds(Clock::now() - t0));
    if (i == 0) first = times.back();
    happy = std::move(*h);
    report = std::move(*r);
  }
  std::sort(times.begin(), times.end());
  std::printf("app %s\ndate %s\nhappy_path_calls %zu\nday_calls %lld\npolling_violations %lld\nerror_codes %zu\n",
              app.c_str(), a.date.c_str(), happy.calls.size(), static_cast<long long>(report.total),
              static_cast<long long>(report.polling_violations), report.errors.size());
  std::printf("first_seconds %.4f\nmedian_seconds %.4f\nmax_seconds %.4f\n", first, times[times.size() / 2],
              times.back());
  return happy.calls.size() == calllog::kHappyPathCalls && report.total > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parse(argc, argv);
  if (a.cmd == "generate") {
    // A generated log is an ingest run over the full row count with big batches.
    return ingest(a, 42);
  }
  if (a.cmd == "ingest") return ingest(a, 7);
  if (a.cmd == "review") return review(a);
  std::fprintf(stderr, "bench_calllog: unknown command %s\n", a.cmd.c_str());
  return 2;
}
