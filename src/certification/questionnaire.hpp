// The certification questionnaire (issue 6 §2; requirements QUES-1, SEC-1, SEC-2, SEC-3): a
// structured, versioned definition (src/certification/questionnaire/<version>.toml, embedded in
// the binary) with the OWASP Top 10 (2021) checklist and the token-encryption attestation;
// answers are stored per request (cert_questionnaires) and validated per question type.
// Validation and completeness are pure functions of the definition and the answers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "store/database.hpp"

namespace cs::certification {

enum class QuestionType { text, url, boolean, choice, multi_choice, checklist, attestation };
std::string_view to_string(QuestionType t);

struct Question {
  std::string id;
  QuestionType type = QuestionType::text;
  bool required = true;
  std::string text;
  std::vector<std::string> options;  // choice, multi_choice, checklist statuses
  std::size_t max_length = 4000;     // text answers and checklist notes
};

struct QuestionnaireSection {
  std::string id;
  std::string title;
  std::vector<Question> questions;
};

struct QuestionnaireDefinition {
  std::string version;
  std::string title;
  std::vector<QuestionnaireSection> sections;

  const Question* find(std::string_view question_id) const;
};

// The section ids the submission guard reads.
inline constexpr std::string_view kOwaspSection = "owasp";
inline constexpr std::string_view kTokenAttestations[] = {"security.tokens_encrypted",
                                                          "security.app_secret_encrypted"};

// validation_failed naming the section / question and field for a malformed definition.
Result<QuestionnaireDefinition> parse_questionnaire(std::string_view toml_text);
// The newest embedded definition (what new answers are given under). A shipped file that does
// not parse is a build defect: aborts with a log line.
const QuestionnaireDefinition& current_questionnaire();
nlohmann::json to_json(const QuestionnaireDefinition& d);

// validation_failed (field = the question id) when `answer` does not fit the question's type.
// A JSON null clears an answer and is always valid.
Status validate_answer(const Question& q, const nlohmann::json& answer);

// Applies `patch` (question id -> answer; null removes) to `answers`. unknown_field for a
// question the definition does not have; validation_failed for a bad answer; `answers` is left
// untouched on error.
Status merge_answers(const QuestionnaireDefinition& d, nlohmann::json& answers, const nlohmann::json& patch);

struct Completeness {
  bool complete = false;
  std::vector<std::string> missing;  // required question ids without a valid answer, in order
  bool owasp_checklist_answered = false;
  bool token_encryption_attested = false;
  int answered = 0;
  int required = 0;
};
Completeness completeness(const QuestionnaireDefinition& d, const nlohmann::json& answers);

struct QuestionnaireAnswers {
  std::string request_id;
  std::string version;
  nlohmann::json answers = nlohmann::json::object();
  std::optional<std::string> updated_by;
  std::optional<Micros> updated_at;
};
nlohmann::json to_json(const QuestionnaireAnswers& a, const Completeness& c);

// Storage (cert_questionnaires). An absent row answers empty answers under the current version.
Result<QuestionnaireAnswers> load_answers(store::Connection& conn, std::string_view request_id);
Status store_answers(store::Connection& conn, const QuestionnaireAnswers& a, std::string_view updated_by, Micros now);

}  // namespace cs::certification
