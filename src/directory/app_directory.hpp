// The public app directory (issue 6 §7, the "exchange"): certified apps only, with what their
// partners add to the listing. A service: storage only through store/database.hpp.
//
// Listed means: the app is active and has a certified version (apps.certified_version_id). The
// entry shows that CERTIFIED version's scopes and functions, never a pending version's, so a
// recertification in progress changes nothing in the directory until it is certified.
//
// The Connect button links to the listing's connect_url: a page on the partner's own site that
// starts the OAuth authorization code flow with a redirect URI the app registered, its own state
// and PKCE verifier. The directory never builds an /oauth/authorize URL itself: only the app can
// finish the flow it starts. Apps without a connect_url show no Connect button.
//
// Listing edits: partner_admin / partner_developer of the app's org (identity::Action::app_manage);
// staff and the org's members read (app_read). Another org's app answers not_found. Audited.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "identity/actor.hpp"
#include "identity/principal.hpp"

namespace cs::store {
class Database;
}
namespace cs::audit {
class AuditLog;
}

namespace cs::directory {

inline constexpr std::size_t kMaxCollateralLinks = 10;
inline constexpr std::size_t kMaxCategories = 10;
inline constexpr std::size_t kMaxLabelChars = 80;
inline constexpr std::size_t kMaxCategoryChars = 40;
inline constexpr int kDefaultPageSize = 24;
inline constexpr int kMaxPageSize = 100;

struct CollateralLink {
  std::string label;
  std::string url;  // https
  bool operator==(const CollateralLink&) const = default;
};

// What the partner sets; unset text fields fall back to the app's own values in the directory.
struct ListingInput {
  std::optional<std::string> description;
  std::optional<std::string> documentation_url;
  std::optional<std::string> support_url;
  std::optional<std::string> connect_url;
  std::vector<CollateralLink> collateral;
  std::vector<std::string> categories;  // lower-case words: "crm", "real-estate"
};

struct Listing {
  std::string app_id;
  ListingInput input;
  bool listed = false;  // the app appears in the public directory right now
  std::optional<std::string> updated_by;
  std::optional<Micros> updated_at;
};

// Validates and normalises (categories lower-cased, deduplicated in order; empty strings unset).
// Errc::validation_failed names the field ("collateral/3/url").
Result<ListingInput> validate_listing(ListingInput in);

struct ScopeLine {
  std::string name;
  std::string description;  // the consent page's plain-language sentence
};

struct DirectoryEntry {
  std::string app_id;
  std::string name;
  std::string client_id;
  std::string partner_org_id;
  std::string partner_name;
  std::string description;
  std::string documentation_url;
  std::string support_url;
  std::optional<std::string> connect_url;
  std::vector<CollateralLink> collateral;
  std::vector<std::string> categories;
  std::vector<std::string> functions;  // of the certified version
  std::vector<ScopeLine> scopes;       // of the certified version
  int certified_version = 0;
  Micros certified_at = 0;
};

struct DirectoryQuery {
  std::string q;         // case-insensitive substring of the app name; empty: all
  std::string function;  // a declared function of the certified version; empty: all
  std::string cursor;    // the app id of the previous page's last entry
  int limit = kDefaultPageSize;
};

struct DirectoryPage {
  std::vector<DirectoryEntry> entries;
  std::optional<std::string> next_cursor;
};

class AppDirectory {
 public:
  AppDirectory(store::Database& db, const Clock& clock, audit::AuditLog& audit);

  // Public: certified apps ordered by name. An unknown function or a bad cursor or limit is
  // Errc::invalid_request.
  Result<DirectoryPage> search(const DirectoryQuery& query);
  // Public: Errc::not_found for an unknown, disabled or uncertified app alike.
  Result<DirectoryEntry> entry(std::string_view app_id);

  Result<Listing> listing(const identity::Principal& principal, std::string_view app_id);
  Result<Listing> update_listing(const identity::Principal& principal, std::string_view app_id, ListingInput input,
                                 const identity::RequestContext& ctx);

 private:
  store::Database& db_;
  const Clock& clock_;
  audit::AuditLog& audit_;
};

}  // namespace cs::directory
