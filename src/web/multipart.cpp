#include "web/multipart.hpp"

#include <cctype>

#include "core/utf8.hpp"

namespace cs::web {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

tl::unexpected<Error> bad(std::string message) { return fail(Errc::invalid_request, std::move(message)); }

// Parameters after the first ';' of a header value: name=token or name="quoted\"string".
// Names are lower-cased. nullopt on a malformed list.
std::optional<std::vector<std::pair<std::string, std::string>>> header_params(std::string_view v) {
  std::vector<std::pair<std::string, std::string>> out;
  auto semi = v.find(';');
  if (semi == std::string_view::npos) return out;
  std::size_t i = semi + 1;
  while (i < v.size()) {
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t' || v[i] == ';')) ++i;
    if (i >= v.size()) break;
    auto eq = v.find('=', i);
    if (eq == std::string_view::npos) return std::nullopt;
    std::string name = lower(trim(v.substr(i, eq - i)));
    i = eq + 1;
    std::string value;
    if (i < v.size() && v[i] == '"') {
      ++i;
      bool closed = false;
      while (i < v.size()) {
        char c = v[i++];
        if (c == '\\' && i < v.size()) {
          value += v[i++];
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          value += c;
        }
      }
      if (!closed) return std::nullopt;
    } else {
      auto end = v.find(';', i);
      value = std::string(trim(v.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i)));
      i = end == std::string_view::npos ? v.size() : end;
    }
    if (name.empty()) return std::nullopt;
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

std::optional<std::string> param(const std::vector<std::pair<std::string, std::string>>& ps, std::string_view name) {
  for (const auto& [n, v] : ps) {
    if (n == name) return v;
  }
  return std::nullopt;
}

bool valid_boundary(std::string_view b) {
  // RFC 2046 §5.1.1: 1..70 characters from bchars, not ending in a space.
  if (b.empty() || b.size() > 70 || b.back() == ' ') return false;
  for (unsigned char c : b) {
    if (!(std::isalnum(c) || std::string_view("'()+_,-./:=? ").find(static_cast<char>(c)) != std::string_view::npos)) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool is_multipart_form_data(std::string_view content_type) {
  auto semi = content_type.find(';');
  return lower(trim(content_type.substr(0, semi))) == "multipart/form-data";
}

Result<std::vector<MultipartPart>> parse_multipart(std::string_view content_type, std::string_view body,
                                                   const MultipartLimits& limits) {
  if (!is_multipart_form_data(content_type)) {
    return fail(Errc::unsupported_media_type, "Expected multipart/form-data");
  }
  auto ps = header_params(content_type);
  if (!ps) return bad("The Content-Type parameters are malformed");
  auto boundary = param(*ps, "boundary");
  if (!boundary || !valid_boundary(*boundary)) return bad("multipart/form-data needs a valid boundary parameter");
  const std::string delimiter = "--" + *boundary;
  const std::string inner = "\r\n" + delimiter;

  // The first delimiter starts the body or follows a preamble line.
  std::size_t pos;
  if (body.substr(0, delimiter.size()) == delimiter) {
    pos = delimiter.size();
  } else {
    auto at = body.find(inner);
    if (at == std::string_view::npos) return bad("The multipart body has no boundary line");
    pos = at + inner.size();
  }
  std::vector<MultipartPart> parts;
  while (true) {
    if (body.substr(pos, 2) == "--") return parts;  // close delimiter; the epilogue is ignored
    // Transport padding after the boundary, then CRLF.
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != "\r\n") return bad("Malformed multipart boundary line");
    pos += 2;
    if (parts.size() == limits.max_parts) return bad("Too many parts in the multipart body");
    auto header_end = body.find("\r\n\r\n", pos);
    bool no_headers = body.substr(pos, 2) == "\r\n";
    if (!no_headers && (header_end == std::string_view::npos || header_end - pos > limits.max_header_bytes)) {
      return bad("A multipart part has malformed or oversized headers");
    }
    std::string_view headers = no_headers ? std::string_view{} : body.substr(pos, header_end - pos);
    std::size_t content_start = no_headers ? pos + 2 : header_end + 4;
    auto content_end = body.find(inner, content_start);
    if (content_end == std::string_view::npos) return bad("The multipart body ends without a closing boundary");

    MultipartPart part;
    bool has_disposition = false;
    std::size_t line_start = 0;
    while (line_start <= headers.size() && !headers.empty()) {
      auto eol = headers.find("\r\n", line_start);
      std::string_view line = headers.substr(line_start, eol == std::string_view::npos ? std::string_view::npos : eol - line_start);
      auto colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) return bad("A multipart part has a malformed header line");
      std::string name = lower(trim(line.substr(0, colon)));
      std::string_view value = trim(line.substr(colon + 1));
      if (!is_valid_utf8(value)) return bad("A multipart header is not valid UTF-8");
      if (name == "content-disposition") {
        auto semi = value.find(';');
        if (lower(trim(value.substr(0, semi))) != "form-data") return bad("A part's Content-Disposition must be form-data");
        auto dps = header_params(value);
        if (!dps) return bad("A part's Content-Disposition is malformed");
        auto n = param(*dps, "name");
        if (!n || n->empty()) return bad("A part has no form-data name");
        part.name = *n;
        part.filename = param(*dps, "filename");
        has_disposition = true;
      } else if (name == "content-type") {
        part.content_type = std::string(value);
      }
      if (eol == std::string_view::npos) break;
      line_start = eol + 2;
    }
    if (!has_disposition) return bad("A multipart part has no Content-Disposition");
    part.body = std::string(body.substr(content_start, content_end - content_start));
    parts.push_back(std::move(part));
    pos = content_end + inner.size();
  }
}

}  // namespace cs::web
