// A small, independent reader for the messages the mailer writes (tests only): unfolds
// headers, decodes RFC 2047 "B" words and quoted-printable bodies, splits one level of
// multipart. Written from the RFCs rather than from src/notify, so a rendering bug does not
// hide behind a matching parsing bug.
#pragma once

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace cs::testing {

struct EmlPart {
  std::map<std::string, std::string> headers;  // lower-cased names, unfolded values
  std::string body;                            // decoded
};

struct Eml {
  std::map<std::string, std::string> headers;  // lower-cased names, unfolded raw values
  std::vector<EmlPart> parts;                  // one part for a single-part message
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

inline std::string eml_lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

inline std::string eml_base64_decode(const std::string& in) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buf = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    auto pos = kAlphabet.find(c);
    if (pos == std::string::npos) throw std::runtime_error("bad base64");
    buf = (buf << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xFF));
    }
  }
  return out;
}

// RFC 2047: "=?UTF-8?B?...?=" words; whitespace between adjacent encoded words is dropped.
inline std::string eml_decode_words(const std::string& value) {
  std::string out;
  std::size_t pos = 0;
  bool last_was_word = false;
  while (pos < value.size()) {
    auto start = value.find("=?", pos);
    if (start == std::string::npos) {
      out += value.substr(pos);
      break;
    }
    std::string between = value.substr(pos, start - pos);
    bool blank = std::all_of(between.begin(), between.end(), [](char c) {
      return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    });
    if (!(last_was_word && blank)) out += between;
    auto q1 = value.find('?', start + 2);
    auto q2 = value.find('?', q1 + 1);
    auto end = value.find("?=", q2 + 1);
    if (q1 == std::string::npos || q2 == std::string::npos || end == std::string::npos)
      throw std::runtime_error("bad encoded word");
    if (eml_lower(value.substr(q1 + 1, q2 - q1 - 1)) != "b")
      throw std::runtime_error("only B words expected");
    out += eml_base64_decode(value.substr(q2 + 1, end - q2 - 1));
    pos = end + 2;
    last_was_word = true;
  }
  return out;
}

inline std::string eml_decode_qp(const std::string& in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '=') {
      out.push_back(in[i]);
      continue;
    }
    if (in.compare(i + 1, 2, "\r\n") == 0) {
      i += 2;  // soft line break
      continue;
    }
    if (i + 2 >= in.size() || !std::isxdigit(static_cast<unsigned char>(in[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(in[i + 2])))
      throw std::runtime_error("bad quoted-printable escape");
    out.push_back(static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16)));
    i += 2;
  }
  return out;
}

// Splits "headers CRLF CRLF body" and unfolds the headers. Throws on bare LF.
inline std::map<std::string, std::string> eml_headers(const std::string& text, std::string* body) {
  auto split = text.find("\r\n\r\n");
  if (split == std::string::npos) throw std::runtime_error("no header/body separator");
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) throw std::runtime_error("bare LF");
  }
  std::map<std::string, std::string> headers;
  std::string last;
  std::size_t pos = 0;
  std::string head = text.substr(0, split + 2);
  while (pos < head.size()) {
    auto eol = head.find("\r\n", pos);
    std::string line = head.substr(pos, eol - pos);
    pos = eol + 2;
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      if (last.empty()) throw std::runtime_error("continuation without header");
      headers[last] += line;  // unfold: remove the CRLF, keep the whitespace
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string::npos) throw std::runtime_error("header line without colon: " + line);
    last = eml_lower(line.substr(0, colon));
    std::string value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    if (headers.count(last)) throw std::runtime_error("duplicate header " + last);
    headers[last] = value;
  }
  *body = text.substr(split + 4);
  return headers;
}

inline std::string eml_decode_body(const std::map<std::string, std::string>& headers,
                                   const std::string& body) {
  auto it = headers.find("content-transfer-encoding");
  std::string cte = it == headers.end() ? "7bit" : eml_lower(it->second);
  if (cte == "quoted-printable") return eml_decode_qp(body);
  if (cte == "base64") {
    std::string compact;
    for (char c : body)
      if (c != '\r' && c != '\n') compact.push_back(c);
    return eml_base64_decode(compact);
  }
  return body;
}

inline Eml parse_eml(const std::string& text) {
  Eml eml;
  std::string body;
  eml.headers = eml_headers(text, &body);
  std::string type = eml.header("content-type");
  if (eml_lower(type).rfind("multipart/", 0) != 0) {
    eml.parts.push_back({eml.headers, eml_decode_body(eml.headers, body)});
    return eml;
  }
  auto b = type.find("boundary=\"");
  if (b == std::string::npos) throw std::runtime_error("multipart without quoted boundary");
  std::string boundary = type.substr(b + 10, type.find('"', b + 10) - b - 10);
  const std::string delim = "\r\n--" + boundary;
  std::string rest = "\r\n" + body;
  auto pos = rest.find(delim);
  while (pos != std::string::npos) {
    auto after = pos + delim.size();
    if (rest.compare(after, 2, "--") == 0) break;
    auto next = rest.find(delim, after);
    if (next == std::string::npos) throw std::runtime_error("unterminated multipart");
    std::string part_text = rest.substr(after + 2, next - after - 2);
    EmlPart part;
    std::string part_body;
    part.headers = eml_headers(part_text, &part_body);
    part.body = eml_decode_body(part.headers, part_body);
    eml.parts.push_back(std::move(part));
    pos = next;
  }
  return eml;
}

}  // namespace cs::testing
