#include "support/smtp_sink.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <stdexcept>

namespace cs::testing {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool starts_with_ci(const std::string& line, std::string_view prefix) {
  return line.size() >= prefix.size() &&
         lower(line.substr(0, prefix.size())) == lower(std::string(prefix));
}

std::optional<std::string> base64_decode(std::string_view in) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned int buf = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    auto pos = kAlphabet.find(c);
    if (pos == std::string_view::npos) return std::nullopt;
    buf = (buf << 6) | static_cast<unsigned int>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xFF));
    }
  }
  return out;
}

std::string base64_encode(std::string_view in) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned int buf = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buf = (buf << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(buf >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buf << (6 - bits)) & 0x3F]);
  while (out.size() % 4 != 0) out.push_back('=');
  return out;
}

// The address inside "FROM:<a@b> SIZE=..." / "TO:<a@b>".
std::string path_argument(const std::string& rest) {
  auto open = rest.find('<');
  auto close = rest.find('>', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) {
    auto colon = rest.find(':');
    std::string s = colon == std::string::npos ? rest : rest.substr(colon + 1);
    auto sp = s.find(' ');
    return sp == std::string::npos ? s : s.substr(0, sp);
  }
  return rest.substr(open + 1, close - open - 1);
}

// Line reader over a blocking socket; answers nullopt on EOF or error.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  std::optional<std::string> next() {
    for (;;) {
      auto eol = buf_.find("\r\n");
      if (eol != std::string::npos) {
        std::string line = buf_.substr(0, eol);
        buf_.erase(0, eol + 2);
        return line;
      }
      if (buf_.size() > 1 << 20) return std::nullopt;
      char chunk[4096];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return std::nullopt;
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buf_;
};

void send_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace

SmtpSink::SmtpSink() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("smtp sink: socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("smtp sink: bind/listen failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

SmtpSink::~SmtpSink() { stop(); }

void SmtpSink::stop() {
  if (stopping_.exchange(true)) return;
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> sessions;
  {
    std::lock_guard lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    sessions.swap(sessions_);
  }
  for (auto& t : sessions) t.join();
}

void SmtpSink::require_auth(std::string user, std::string password) {
  std::lock_guard lock(mu_);
  auth_user_ = std::move(user);
  auth_password_ = std::move(password);
}

void SmtpSink::reject_recipient(std::string address) {
  std::lock_guard lock(mu_);
  rejected_.insert(lower(std::move(address)));
}

void SmtpSink::fail_next_transactions(int count, int code) {
  std::lock_guard lock(mu_);
  fail_count_ = count;
  fail_code_ = code;
}

std::vector<SmtpMessage> SmtpSink::messages() const {
  std::lock_guard lock(mu_);
  return messages_;
}

std::size_t SmtpSink::message_count() const {
  std::lock_guard lock(mu_);
  return messages_.size();
}

bool SmtpSink::wait_for_messages(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return messages_.size() >= count; });
}

std::vector<std::string> SmtpSink::commands() const {
  std::lock_guard lock(mu_);
  return commands_;
}

void SmtpSink::accept_loop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lock(mu_);
    if (stopping_) {
      ::close(fd);
      break;
    }
    open_fds_.insert(fd);
    sessions_.emplace_back([this, fd] { serve(fd); });
  }
}

void SmtpSink::serve(int fd) {
  LineReader in(fd);
  auto reply = [fd](const std::string& s) { send_all(fd, s + "\r\n"); };
  auto record = [this](std::string line) {
    std::lock_guard lock(mu_);
    commands_.push_back(std::move(line));
  };
  auto auth_required = [this] {
    std::lock_guard lock(mu_);
    return !auth_user_.empty();
  };
  auto credentials_ok = [this](const std::string& user, const std::string& password) {
    std::lock_guard lock(mu_);
    return user == auth_user_ && password == auth_password_;
  };

  SmtpMessage current;
  std::string authenticated;
  bool in_transaction = false;
  reply("220 sink.test ESMTP countersign test sink");
  while (auto line = in.next()) {
    record(*line);
    std::string verb = lower(line->substr(0, line->find(' ')));
    if (verb == "ehlo" || verb == "helo") {
      current = {};
      in_transaction = false;
      current.helo = line->size() > 5 ? line->substr(5) : "";
      if (verb == "helo") {
        reply("250 sink.test");
      } else {
        reply("250-sink.test");
        if (auth_required()) reply("250-AUTH PLAIN LOGIN");
        reply("250-8BITMIME");
        reply("250 SIZE 10485760");
      }
    } else if (verb == "auth") {
      std::string user, password;
      if (starts_with_ci(*line, "AUTH PLAIN")) {
        std::string arg = line->size() > 11 ? line->substr(11) : "";
        if (arg.empty()) {
          reply("334 ");
          auto l = in.next();
          if (!l) break;
          arg = *l;
        }
        // authzid NUL authcid NUL passwd (RFC 4616)
        auto decoded = base64_decode(arg).value_or("");
        auto a = decoded.find('\0');
        auto b = a == std::string::npos ? a : decoded.find('\0', a + 1);
        if (b != std::string::npos) {
          user = decoded.substr(a + 1, b - a - 1);
          password = decoded.substr(b + 1);
        }
      } else if (starts_with_ci(*line, "AUTH LOGIN")) {
        std::string arg = line->size() > 11 ? line->substr(11) : "";
        if (arg.empty()) {
          reply("334 " + base64_encode("Username:"));
          auto l = in.next();
          if (!l) break;
          arg = *l;
        }
        user = base64_decode(arg).value_or("");
        reply("334 " + base64_encode("Password:"));
        auto l = in.next();
        if (!l) break;
        password = base64_decode(*l).value_or("");
      } else {
        reply("504 5.5.4 Unrecognized authentication type");
        continue;
      }
      {
        std::lock_guard lock(mu_);
        commands_.back() = line->substr(0, 10) + " <redacted>";
      }
      if (auth_required() && credentials_ok(user, password)) {
        authenticated = user;
        reply("235 2.7.0 Authentication successful");
      } else {
        reply("535 5.7.8 Authentication credentials invalid");
      }
    } else if (verb == "mail") {
      if (auth_required() && authenticated.empty()) {
        reply("530 5.7.0 Authentication required");
        continue;
      }
      current.mail_from = path_argument(line->substr(5));
      current.rcpt_to.clear();
      current.auth_user = authenticated;
      in_transaction = true;
      reply("250 2.1.0 OK");
    } else if (verb == "rcpt") {
      if (!in_transaction) {
        reply("503 5.5.1 MAIL first");
        continue;
      }
      std::string to = path_argument(line->substr(5));
      bool refused;
      {
        std::lock_guard lock(mu_);
        refused = rejected_.count(lower(to)) > 0;
      }
      if (refused) {
        reply("550 5.1.1 <" + to + ">: Recipient address rejected");
      } else {
        current.rcpt_to.push_back(to);
        reply("250 2.1.5 OK");
      }
    } else if (verb == "data") {
      if (!in_transaction || current.rcpt_to.empty()) {
        reply("503 5.5.1 RCPT first");
        continue;
      }
      reply("354 End data with <CR><LF>.<CR><LF>");
      std::string data;
      bool complete = false;
      while (auto l = in.next()) {
        if (*l == ".") {
          complete = true;
          break;
        }
        // RFC 5321 §4.5.2: a leading dot was doubled by the client.
        data += (!l->empty() && (*l)[0] == '.') ? l->substr(1) : *l;
        data += "\r\n";
      }
      if (!complete) break;
      current.data = std::move(data);
      int fail_code = 0;
      {
        std::lock_guard lock(mu_);
        if (fail_count_ > 0) {
          --fail_count_;
          fail_code = fail_code_;
        } else {
          messages_.push_back(current);
        }
      }
      in_transaction = false;
      if (fail_code != 0) {
        reply(std::to_string(fail_code) +
              (fail_code < 500 ? " 4.3.0 Try again later" : " 5.3.0 Rejected"));
      } else {
        cv_.notify_all();
        reply("250 2.0.0 OK queued");
      }
    } else if (verb == "rset") {
      in_transaction = false;
      current.rcpt_to.clear();
      reply("250 2.0.0 OK");
    } else if (verb == "noop") {
      reply("250 2.0.0 OK");
    } else if (verb == "quit") {
      reply("221 2.0.0 Bye");
      break;
    } else {
      reply("502 5.5.2 Command not implemented");
    }
  }
  std::lock_guard lock(mu_);
  open_fds_.erase(fd);
  ::close(fd);
}

}  // namespace cs::testing
