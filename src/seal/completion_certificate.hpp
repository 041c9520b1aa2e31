// The certificate of completion (issue 7): the evidence page(s) appended after the documents of
// a completed envelope, and also served alone. Shows the envelope id, each document (name,
// pages, SHA-256 of the original and of the flattened file), each recipient (name, email,
// routing order, IP, user agent, the times of sending, first view, disclosure acceptance and
// signing, the signature) and the full event history. Text wraps and breaks onto new pages.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "seal/completed_envelope.hpp"
#include "seal/render.hpp"

namespace cs::seal {

class TrueTypeFont;

// A PDF of US Letter pages.
Result<std::string> render_completion_certificate(const CompletedEnvelope& envelope,
                                                  const std::vector<RenderedDocument>& documents,
                                                  std::shared_ptr<const TrueTypeFont> font);

}  // namespace cs::seal
