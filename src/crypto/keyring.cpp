#include "crypto/keyring.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "crypto/key_file.hpp"
#include "crypto/primitives.hpp"

namespace cs::crypto {
namespace {

constexpr std::string_view kFormat = "countersign-keyring-v1";

bool valid_key_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

tl::unexpected<Error> invalid(std::string detail) {
  return fail(Errc::internal, "invalid master key configuration: " + detail, detail);
}

// Decodes one base64 key of exactly 32 bytes into `out`, wiping the temporary buffer.
bool decode_key(const std::string& text, std::array<std::uint8_t, kKeyBytes>& out) {
  auto bytes = base64_decode(text);
  if (!bytes) bytes = base64url_decode(text);
  if (!bytes) return false;
  const bool ok = bytes->size() == kKeyBytes;
  if (ok) std::copy(bytes->begin(), bytes->end(), out.begin());
  sodium_memzero(bytes->data(), bytes->size());
  return ok;
}

std::array<std::uint8_t, kKeyBytes> fresh_key() {
  init();
  std::array<std::uint8_t, kKeyBytes> key{};
  randombytes_buf(key.data(), key.size());
  return key;
}

void wipe(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
}

}  // namespace

MasterKey::~MasterKey() { sodium_memzero(bytes.data(), bytes.size()); }

KeyRing::~KeyRing() { sodium_memzero(token_hash_key_.data(), token_hash_key_.size()); }

const Clock& KeyRing::default_clock() {
  static const SystemClock clock;
  return clock;
}

KeyRing KeyRing::generate(const Clock& clock) {
  KeyRing ring;
  MasterKey key;
  key.id = "k1";
  key.created_at = clock.now();
  key.bytes = fresh_key();
  ring.keys_.push_back(key);
  ring.active_id_ = key.id;
  ring.token_hash_key_ = fresh_key();
  return ring;
}

Result<KeyRing> KeyRing::parse(std::string_view json_text) {
  auto doc = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return invalid("not a JSON object");
  try {
    if (doc.value("format", "") != kFormat)
      return invalid(fmt::format("format is not \"{}\"", kFormat));
    KeyRing ring;
    const auto& keys = doc.at("keys");
    if (!keys.is_array() || keys.empty()) return invalid("\"keys\" must be a non-empty array");
    for (const auto& entry : keys) {
      MasterKey key;
      key.id = entry.at("id").get<std::string>();
      if (!valid_key_id(key.id)) return invalid("key id must match [A-Za-z0-9_-]{1,64}");
      if (ring.find(key.id) != nullptr) return invalid("duplicate key id " + key.id);
      key.created_at = entry.value("created_at", Micros{0});
      if (!decode_key(entry.at("key").get<std::string>(), key.bytes)) {
        return invalid("key " + key.id + " is not base64 of 32 bytes");
      }
      ring.keys_.push_back(key);
    }
    ring.active_id_ = doc.at("active").get<std::string>();
    if (ring.find(ring.active_id_) == nullptr)
      return invalid("\"active\" names no key of the ring");
    if (!decode_key(doc.at("token_hash_key").get<std::string>(), ring.token_hash_key_)) {
      return invalid("token_hash_key is not base64 of 32 bytes");
    }
    return ring;
  } catch (const nlohmann::json::exception&) {
    // The exception text can quote the document; keep key material out of errors and logs.
    return invalid(
        "missing field or wrong type (need format, active, keys[].id/key, token_hash_key)");
  }
}

Result<KeyRing> KeyRing::from_value(std::string_view value) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front())))
    value.remove_prefix(1);
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
    value.remove_suffix(1);
  if (!value.empty() && value.front() == '{') return parse(value);
  auto decoded = base64_decode(value);
  if (!decoded) decoded = base64url_decode(value);
  if (!decoded) return invalid("value is neither key-ring JSON nor base64 of it");
  std::string text(decoded->begin(), decoded->end());
  sodium_memzero(decoded->data(), decoded->size());
  auto ring = parse(text);
  wipe(text);
  return ring;
}

Result<KeyRing> KeyRing::load(const std::filesystem::path& file) {
  auto contents = CS_TRY(detail::read_private_file(file));
  if (!contents) return fail(Errc::internal, "the master key file does not exist", file.string());
  auto ring = parse(*contents);
  wipe(*contents);
  if (!ring) {
    return fail(Errc::internal, ring.error().message() + " (in " + file.string() + ")",
                ring.error().detail());
  }
  return ring;
}

Result<KeyRing> KeyRing::load_or_create(const std::filesystem::path& file, const Clock& clock) {
  auto contents = CS_TRY(detail::read_private_file(file));
  if (contents) {
    wipe(*contents);
    return load(file);
  }
  KeyRing ring = generate(clock);
  std::string text = ring.export_secret_json();
  auto written = detail::write_private_file(file, text, detail::WriteMode::create_new);
  wipe(text);
  if (written) return ring;
  // Another process created the file between our read and our link: use its keys.
  if (written.error().errc() == Errc::conflict) return load(file);
  return tl::unexpected(std::move(written).error());
}

const MasterKey& KeyRing::active() const {
  const MasterKey* key = find(active_id_);
  if (key == nullptr) {
    // parse() and generate() guarantee the active key exists; anything else is memory damage.
    std::fputs("fatal: key ring has no active key\n", stderr);
    std::abort();
  }
  return *key;
}

const MasterKey* KeyRing::find(std::string_view id) const {
  auto it =
      std::find_if(keys_.begin(), keys_.end(), [&](const MasterKey& k) { return k.id == id; });
  return it == keys_.end() ? nullptr : &*it;
}

std::vector<KeyInfo> KeyRing::list() const {
  std::vector<KeyInfo> out;
  out.reserve(keys_.size());
  for (const auto& key : keys_) out.push_back({key.id, key.created_at, key.id == active_id_});
  return out;
}

std::string KeyRing::next_key_id() const {
  // "k<n>" ids count up from the highest existing one; other ids (e.g. imported "key_...")
  // simply do not take part in the numbering.
  unsigned long highest = 0;
  for (const auto& key : keys_) {
    if (key.id.size() < 2 || key.id[0] != 'k') continue;
    unsigned long n = 0;
    const char* begin = key.id.data() + 1;
    const char* end = key.id.data() + key.id.size();
    auto [ptr, ec] = std::from_chars(begin, end, n);
    if (ec == std::errc() && ptr == end) highest = std::max(highest, n);
  }
  return "k" + std::to_string(highest + 1);
}

Result<std::string> KeyRing::add_key(const std::filesystem::path& file, const Clock& clock) {
  KeyRing next = *this;
  MasterKey key;
  key.id = next_key_id();
  key.created_at = clock.now();
  key.bytes = fresh_key();
  next.keys_.push_back(key);
  next.active_id_ = key.id;
  std::string text = next.export_secret_json();
  auto written = detail::write_private_file(file, text, detail::WriteMode::replace);
  wipe(text);
  CS_CHECK(written);
  *this = std::move(next);
  return key.id;
}

std::string KeyRing::export_secret_json() const {
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& key : keys_) {
    keys.push_back(
        {{"id", key.id}, {"created_at", key.created_at}, {"key", base64_encode(key.bytes)}});
  }
  nlohmann::json doc = {{"format", kFormat},
                        {"active", active_id_},
                        {"keys", std::move(keys)},
                        {"token_hash_key", base64_encode(token_hash_key_)}};
  return doc.dump(2) + "\n";
}

}  // namespace cs::crypto
