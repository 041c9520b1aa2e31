// The demo outbox (issue 4 §3): with no SMTP host configured, each email is written as an .eml
// file that a newcomer can open to follow the signing links. The files hold those links, which
// are bearer secrets, so the directory is 0700 and each file 0600.
#pragma once

#include <filesystem>
#include <string_view>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace cs::notify {

// Writes `message` to `<dir>/<UTC time>-<job id>.eml` atomically (a temp file in the same
// directory, fsynced, then renamed), creating `dir` with mode 0700 if needed. Writing the
// same job id again (a retried job) replaces its file. Answers the file's path.
Result<std::filesystem::path> write_to_outbox(const std::filesystem::path& dir,
                                              std::string_view job_id, Micros time,
                                              std::string_view message);

}  // namespace cs::notify
