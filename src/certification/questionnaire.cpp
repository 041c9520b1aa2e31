#include "certification/questionnaire.hpp"

#include <spdlog/spdlog.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <set>
#include <utility>

#include "certification/embedded_toml_files.hpp"
#include "core/utf8.hpp"
#include "store/params.hpp"

namespace cs::certification {

namespace {

constexpr std::array<std::pair<QuestionType, std::string_view>, 7> kTypeNames{{
    {QuestionType::text, "text"},
    {QuestionType::url, "url"},
    {QuestionType::boolean, "boolean"},
    {QuestionType::choice, "choice"},
    {QuestionType::multi_choice, "multi_choice"},
    {QuestionType::checklist, "checklist"},
    {QuestionType::attestation, "attestation"},
}};

tl::unexpected<Error> bad_definition(std::string message, std::string field) {
  return tl::unexpected(Error(Errc::validation_failed, std::move(message)).with_field(std::move(field)));
}

tl::unexpected<Error> bad_answer(const Question& q, std::string message) {
  return tl::unexpected(Error(Errc::validation_failed, q.id + ": " + std::move(message)).with_field(q.id));
}

Result<std::string> required_text(const toml::table& t, std::string_view key, const std::string& where) {
  auto s = t[key].value_exact<std::string>();
  if (!s || s->empty()) return bad_definition(where + ": `" + std::string(key) + "` must be a non-empty string", where);
  return *s;
}

Result<Question> parse_question(const toml::table& t, const std::string& where) {
  Question q;
  q.id = CS_TRY(required_text(t, "id", where));
  const std::string at = where + "/" + q.id;
  auto type = CS_TRY(required_text(t, "type", at));
  auto it = std::find_if(kTypeNames.begin(), kTypeNames.end(), [&](const auto& p) { return p.second == type; });
  if (it == kTypeNames.end()) return bad_definition(at + ": unknown type \"" + type + "\"", at);
  q.type = it->first;
  q.text = CS_TRY(required_text(t, "text", at));
  q.required = t["required"].value_or(true);
  if (auto n = t["max_length"].value<std::int64_t>()) {
    if (*n <= 0) return bad_definition(at + ": max_length must be positive", at);
    q.max_length = static_cast<std::size_t>(*n);
  }
  if (const auto* opts = t["options"].as_array()) {
    for (const auto& o : *opts) {
      auto s = o.value_exact<std::string>();
      if (!s || s->empty()) return bad_definition(at + ": options must be non-empty strings", at);
      q.options.push_back(*s);
    }
  }
  const bool needs_options =
      q.type == QuestionType::choice || q.type == QuestionType::multi_choice || q.type == QuestionType::checklist;
  if (needs_options && q.options.empty()) return bad_definition(at + ": options are required for this type", at);
  for (const auto& [key, node] : t) {
    static const std::set<std::string_view> kKeys = {"id", "type", "text", "required", "options", "max_length"};
    if (!kKeys.contains(key.str())) return bad_definition(at + ": unknown key `" + std::string(key.str()) + "`", at);
  }
  return q;
}

bool is_https_url(std::string_view s) {
  constexpr std::string_view kPrefix = "https://";
  if (s.size() <= kPrefix.size() || s.size() > 2048 || s.substr(0, kPrefix.size()) != kPrefix) return false;
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  const auto host = s.substr(kPrefix.size());
  return !host.empty() && host.front() != '/';
}

Status check_text(const Question& q, const nlohmann::json& v, std::string_view what) {
  if (!v.is_string()) return bad_answer(q, std::string(what) + " must be text");
  const auto& s = v.get_ref<const std::string&>();
  if (!is_valid_utf8(s)) return bad_answer(q, std::string(what) + " must be valid UTF-8");
  if (std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; })) {
    return bad_answer(q, std::string(what) + " must not be empty");
  }
  if (s.size() > q.max_length) {
    return bad_answer(q, std::string(what) + " is longer than " + std::to_string(q.max_length) + " bytes");
  }
  return {};
}

bool is_option(const Question& q, const nlohmann::json& v) {
  return v.is_string() && std::find(q.options.begin(), q.options.end(), v.get<std::string>()) != q.options.end();
}

const QuestionnaireDefinition& embedded_definition() {
  static const QuestionnaireDefinition def = [] {
    std::vector<QuestionnaireDefinition> parsed;
    for (const auto& file : detail::embedded_questionnaire_files()) {
      auto d = parse_questionnaire(file.text);
      if (!d) {
        spdlog::critical("embedded questionnaire {} is invalid: {}", file.file_name, d.error().message());
        std::abort();
      }
      parsed.push_back(std::move(*d));
    }
    if (parsed.empty()) {
      spdlog::critical("no questionnaire definition is embedded");
      std::abort();
    }
    // File names sort by version (YEAR.N); the newest is last.
    return parsed.back();
  }();
  return def;
}

}  // namespace

std::string_view to_string(QuestionType t) {
  for (const auto& [type, name] : kTypeNames) {
    if (type == t) return name;
  }
  return "text";
}

const Question* QuestionnaireDefinition::find(std::string_view question_id) const {
  for (const auto& s : sections) {
    for (const auto& q : s.questions) {
      if (q.id == question_id) return &q;
    }
  }
  return nullptr;
}

Result<QuestionnaireDefinition> parse_questionnaire(std::string_view toml_text) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    return bad_definition(std::string("questionnaire is not valid TOML: ") + std::string(e.description()), "");
  }
  QuestionnaireDefinition d;
  d.version = CS_TRY(required_text(root, "version", "questionnaire"));
  d.title = CS_TRY(required_text(root, "title", "questionnaire"));
  const auto* sections = root["section"].as_array();
  if (!sections || sections->empty()) return bad_definition("questionnaire: no sections", "section");
  std::set<std::string> ids;
  for (const auto& node : *sections) {
    const auto* st = node.as_table();
    if (!st) return bad_definition("questionnaire: a section must be a table", "section");
    QuestionnaireSection section;
    section.id = CS_TRY(required_text(*st, "id", "section"));
    section.title = CS_TRY(required_text(*st, "title", section.id));
    const auto* questions = (*st)["question"].as_array();
    if (!questions || questions->empty()) return bad_definition(section.id + ": no questions", section.id);
    for (const auto& qn : *questions) {
      const auto* qt = qn.as_table();
      if (!qt) return bad_definition(section.id + ": a question must be a table", section.id);
      auto q = CS_TRY(parse_question(*qt, section.id));
      if (!ids.insert(q.id).second) return bad_definition("duplicate question id " + q.id, q.id);
      section.questions.push_back(std::move(q));
    }
    d.sections.push_back(std::move(section));
  }
  return d;
}

const QuestionnaireDefinition& current_questionnaire() { return embedded_definition(); }

nlohmann::json to_json(const QuestionnaireDefinition& d) {
  nlohmann::json sections = nlohmann::json::array();
  for (const auto& s : d.sections) {
    nlohmann::json qs = nlohmann::json::array();
    for (const auto& q : s.questions) {
      nlohmann::json j = {{"id", q.id}, {"type", to_string(q.type)}, {"required", q.required}, {"text", q.text}};
      if (!q.options.empty()) j["options"] = q.options;
      if (q.type == QuestionType::text || q.type == QuestionType::checklist) j["max_length"] = q.max_length;
      qs.push_back(std::move(j));
    }
    sections.push_back({{"id", s.id}, {"title", s.title}, {"questions", std::move(qs)}});
  }
  return {{"version", d.version}, {"title", d.title}, {"sections", std::move(sections)}};
}

Status validate_answer(const Question& q, const nlohmann::json& answer) {
  if (answer.is_null()) return {};
  switch (q.type) {
    case QuestionType::text:
      return check_text(q, answer, "the answer");
    case QuestionType::url:
      if (!answer.is_string() || !is_https_url(answer.get<std::string>())) {
        return bad_answer(q, "the answer must be an absolute https URL");
      }
      return {};
    case QuestionType::boolean:
      if (!answer.is_boolean()) return bad_answer(q, "the answer must be true or false");
      return {};
    case QuestionType::attestation:
      if (!answer.is_boolean()) return bad_answer(q, "the attestation must be true (attested) or false");
      return {};
    case QuestionType::choice:
      if (!is_option(q, answer)) return bad_answer(q, "the answer must be one of the options");
      return {};
    case QuestionType::multi_choice: {
      if (!answer.is_array() || answer.empty()) return bad_answer(q, "the answer must be a non-empty list of options");
      std::set<std::string> seen;
      for (const auto& v : answer) {
        if (!is_option(q, v)) return bad_answer(q, "every choice must be one of the options");
        if (!seen.insert(v.get<std::string>()).second) return bad_answer(q, "a choice is listed twice");
      }
      return {};
    }
    case QuestionType::checklist: {
      if (!answer.is_object()) return bad_answer(q, "the answer must be an object with status and note");
      for (const auto& [key, _] : answer.items()) {
        if (key != "status" && key != "note") return bad_answer(q, "unknown field \"" + key + "\"");
      }
      if (!answer.contains("status") || !is_option(q, answer["status"])) {
        return bad_answer(q, "status must be one of the options");
      }
      if (!answer.contains("note")) return bad_answer(q, "a note is required for every checklist item");
      return check_text(q, answer["note"], "the note");
    }
  }
  return bad_answer(q, "unsupported question type");
}

Status merge_answers(const QuestionnaireDefinition& d, nlohmann::json& answers, const nlohmann::json& patch) {
  if (!patch.is_object()) {
    return fail(Error(Errc::validation_failed, "answers must be an object of question id to answer").with_field("answers"));
  }
  nlohmann::json next = answers.is_object() ? answers : nlohmann::json::object();
  for (const auto& [id, value] : patch.items()) {
    const Question* q = d.find(id);
    if (!q) return fail(Error(Errc::unknown_field, "no question " + id + " in questionnaire " + d.version).with_field(id));
    CS_CHECK(validate_answer(*q, value));
    if (value.is_null()) {
      next.erase(id);
    } else {
      next[id] = value;
    }
  }
  answers = std::move(next);
  return {};
}

Completeness completeness(const QuestionnaireDefinition& d, const nlohmann::json& answers) {
  Completeness c;
  auto answered = [&](const Question& q) {
    if (!answers.is_object() || !answers.contains(q.id)) return false;
    const auto& v = answers[q.id];
    if (v.is_null() || !validate_answer(q, v)) return false;
    return q.type != QuestionType::attestation || v.get<bool>();
  };
  bool owasp_found = false;
  bool owasp_all = true;
  for (const auto& s : d.sections) {
    for (const auto& q : s.questions) {
      const bool ok = answered(q);
      if (ok) ++c.answered;
      if (s.id == kOwaspSection) {
        owasp_found = true;
        owasp_all = owasp_all && ok;
      }
      if (!q.required) continue;
      ++c.required;
      if (!ok) c.missing.push_back(q.id);
    }
  }
  c.complete = c.missing.empty();
  c.owasp_checklist_answered = owasp_found && owasp_all;
  c.token_encryption_attested = true;
  for (auto id : kTokenAttestations) {
    const Question* q = d.find(id);
    c.token_encryption_attested = c.token_encryption_attested && q && answered(*q);
  }
  return c;
}

nlohmann::json to_json(const QuestionnaireAnswers& a, const Completeness& c) {
  nlohmann::json j = {{"request_id", a.request_id},
                      {"version", a.version},
                      {"answers", a.answers},
                      {"complete", c.complete},
                      {"missing", c.missing},
                      {"answered", c.answered},
                      {"required", c.required},
                      {"owasp_checklist_answered", c.owasp_checklist_answered},
                      {"token_encryption_attested", c.token_encryption_attested}};
  if (a.updated_by) j["updated_by"] = *a.updated_by;
  if (a.updated_at) j["updated_at"] = format_rfc3339(*a.updated_at);
  return j;
}

Result<QuestionnaireAnswers> load_answers(store::Connection& conn, std::string_view request_id) {
  auto row = CS_TRY(conn.query_one(
      "SELECT version, answers, updated_by, updated_at FROM cert_questionnaires WHERE request_id = $1",
      store::params(request_id)));
  QuestionnaireAnswers a;
  a.request_id = std::string(request_id);
  if (!row) {
    a.version = current_questionnaire().version;
    return a;
  }
  a.version = row->text(0);
  a.answers = nlohmann::json::parse(row->text(1), nullptr, false);
  if (a.answers.is_discarded() || !a.answers.is_object()) {
    return fail(Errc::internal, "internal error", "cert_questionnaires.answers is not a JSON object");
  }
  a.updated_by = row->text(2);
  a.updated_at = row->int64(3);
  return a;
}

Status store_answers(store::Connection& conn, const QuestionnaireAnswers& a, std::string_view updated_by, Micros now) {
  const std::string body = a.answers.dump();
  auto changed = CS_TRY(conn.exec(
      "UPDATE cert_questionnaires SET version = $2, answers = $3, updated_by = $4, updated_at = $5 WHERE request_id = $1",
      store::params(a.request_id, a.version, body, updated_by, now)));
  if (changed == 0) {
    CS_TRY(conn.exec("INSERT INTO cert_questionnaires (request_id, version, answers, updated_by, updated_at) "
                     "VALUES ($1, $2, $3, $4, $5)",
                     store::params(a.request_id, a.version, body, updated_by, now)));
  }
  return {};
}

}  // namespace cs::certification
