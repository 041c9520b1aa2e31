// Recertification (issue 6 §2, DESIGN.md "Versions and recertification"): when a certified app
// gets a pending version (AppService::update adds a scope, changes a redirect URI or a declared
// function), a `recertification` request for the pending version opens on its own, in the same
// transaction (AppService::on_pending_version). Production keeps the certified configuration
// until that request launches (AppService's effective_version; launch.hpp).
//
// One active request per app: when one is active already, a draft recertification request moves
// to the newest pending version (nothing has been judged yet); a request already submitted keeps
// the version its reviewers are judging, and the partner withdraws it to judge the newer one.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "identity/actor.hpp"
#include "oauth/app.hpp"
#include "store/database.hpp"

namespace cs::audit {
class AuditLog;
}
namespace cs::oauth {
class AppService;
}

namespace cs::certification {

// What the recertification reviewers see: the certified configuration against the pending one.
// nullopt when the app has no pending version.
std::optional<oauth::ConfigurationDiff> pending_difference(const oauth::App& app);
// {"certified_version": n, "pending_version": m, "certified": {...}, "pending": {...},
//  "diff": {...}} or null.
nlohmann::json pending_difference_json(const oauth::App& app);

// The AppService::on_pending_version hook. Answers the id of the request opened or moved, or
// nullopt when an active request keeps its version.
Result<std::optional<std::string>> open_recertification(store::Connection& conn,
                                                        const oauth::App& app,
                                                        const identity::Actor& actor,
                                                        const Clock& clock, audit::AuditLog& audit);
// Registers open_recertification as the AppService::on_pending_version hook (wiring).
void attach_recertification(oauth::AppService& apps, const Clock& clock, audit::AuditLog& audit);

}  // namespace cs::certification
