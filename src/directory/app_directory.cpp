#include "directory/app_directory.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "audit/audit_log.hpp"
#include "core/ids.hpp"
#include "identity/policy.hpp"
#include "oauth/app.hpp"
#include "oauth/validation.hpp"
#include "store/database.hpp"

namespace cs::directory {
namespace {

using store::Value;

tl::unexpected<Error> invalid(std::string message, std::string field) {
  return tl::unexpected(Error(Errc::validation_failed, std::move(message)).with_field(std::move(field)));
}

std::size_t utf8_chars(std::string_view s) {
  std::size_t n = 0;
  for (char ch : s)
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++n;
  return n;
}

// validate_description checks UTF-8 (and at most 2000 characters); reused for short texts.
bool valid_utf8_text(std::string_view s) { return oauth::validate_description(s).has_value(); }

Status check_url(std::optional<std::string>& url, const std::string& field) {
  if (url && url->empty()) url.reset();
  if (!url) return {};
  if (url->size() > oauth::kMaxUriLength) return invalid("Link is longer than 2048 characters", field);
  return oauth::validate_link(*url, field);
}

nlohmann::json collateral_json(const std::vector<CollateralLink>& links) {
  auto out = nlohmann::json::array();
  for (const auto& l : links) out.push_back({{"label", l.label}, {"url", l.url}});
  return out;
}

std::vector<CollateralLink> collateral_from(const std::optional<std::string>& text) {
  std::vector<CollateralLink> out;
  if (!text) return out;
  auto j = nlohmann::json::parse(*text);
  for (const auto& item : j) out.push_back({item.at("label").get<std::string>(), item.at("url").get<std::string>()});
  return out;
}

std::vector<std::string> strings_from(const std::optional<std::string>& text) {
  if (!text) return {};
  return nlohmann::json::parse(*text).get<std::vector<std::string>>();
}

// The directory's one query; filters are appended by search() and entry().
constexpr std::string_view kEntrySelect =
    "SELECT a.id, a.name, a.client_id, a.partner_org_id, p.name, "
    "COALESCE(l.description, a.description), COALESCE(l.documentation_url, a.documentation_url), "
    "COALESCE(l.support_url, a.support_url), l.connect_url, l.collateral, l.categories, "
    "v.functions, v.scopes, v.number, "
    // The certification date: the request that certified this version, or (apps certified
    // before requests existed, tools) the moment the version became certified.
    "COALESCE((SELECT MAX(r.certified_at) FROM cert_requests r WHERE r.app_version_id = v.id), v.updated_at) "
    "FROM apps a "
    "JOIN app_versions v ON v.id = a.certified_version_id AND v.certification = 'certified' "
    "JOIN partner_orgs p ON p.id = a.partner_org_id "
    "LEFT JOIN app_listings l ON l.app_id = a.id "
    "WHERE a.status = 'active' ";

DirectoryEntry entry_from_row(const store::Row& r) {
  DirectoryEntry e;
  e.app_id = r.text(0);
  e.name = r.text(1);
  e.client_id = r.text(2);
  e.partner_org_id = r.text(3);
  e.partner_name = r.text(4);
  e.description = r.text(5);
  e.documentation_url = r.text(6);
  e.support_url = r.text(7);
  e.connect_url = r.opt_text(8);
  e.collateral = collateral_from(r.opt_text(9));
  e.categories = strings_from(r.opt_text(10));
  e.functions = oauth::split_scopes(r.text(11));
  for (const auto& s : oauth::split_scopes(r.text(12))) {
    e.scopes.push_back({s, std::string(oauth::scope_description(s))});
  }
  e.certified_version = static_cast<int>(r.int64(13));
  e.certified_at = r.int64(14);
  return e;
}

// LIKE pattern for a substring match; '!' escapes the wildcards in the user's text.
std::string like_pattern(std::string_view q) {
  std::string out = "%";
  for (char ch : q) {
    char lower = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
    if (lower == '%' || lower == '_' || lower == '!') out += '!';
    out += lower;
  }
  return out + "%";
}

}  // namespace

Result<ListingInput> validate_listing(ListingInput in) {
  if (in.description && in.description->empty()) in.description.reset();
  if (in.description) *in.description = CS_TRY(oauth::validate_description(*in.description));
  CS_CHECK(check_url(in.documentation_url, "documentation_url"));
  CS_CHECK(check_url(in.support_url, "support_url"));
  CS_CHECK(check_url(in.connect_url, "connect_url"));
  if (in.collateral.size() > kMaxCollateralLinks) return invalid("At most 10 collateral links", "collateral");
  for (std::size_t i = 0; i < in.collateral.size(); ++i) {
    auto& link = in.collateral[i];
    std::string field = "collateral/" + std::to_string(i);
    if (link.label.empty() || utf8_chars(link.label) > kMaxLabelChars || !valid_utf8_text(link.label)) {
      return invalid("A collateral label has 1 to 80 characters", field + "/label");
    }
    if (link.url.empty()) return invalid("A collateral link needs a URL", field + "/url");
    std::optional<std::string> url = link.url;
    CS_CHECK(check_url(url, field + "/url"));
  }
  if (in.categories.size() > kMaxCategories) return invalid("At most 10 categories", "categories");
  std::vector<std::string> categories;
  for (std::size_t i = 0; i < in.categories.size(); ++i) {
    std::string c = in.categories[i];
    std::transform(c.begin(), c.end(), c.begin(),
                   [](char ch) { return (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch; });
    bool ok = !c.empty() && c.size() <= kMaxCategoryChars && c.front() != '-' && c.back() != '-' &&
              std::all_of(c.begin(), c.end(), [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'; });
    if (!ok) {
      return invalid("A category is 1 to 40 letters, digits and inner hyphens", "categories/" + std::to_string(i));
    }
    if (std::find(categories.begin(), categories.end(), c) == categories.end()) categories.push_back(std::move(c));
  }
  in.categories = std::move(categories);
  return in;
}

AppDirectory::AppDirectory(store::Database& db, const Clock& clock, audit::AuditLog& audit)
    : db_(db), clock_(clock), audit_(audit) {}

Result<DirectoryPage> AppDirectory::search(const DirectoryQuery& query) {
  if (query.limit < 1 || query.limit > kMaxPageSize) return fail(Errc::invalid_request, "limit must be between 1 and 100");
  if (!query.function.empty() && !oauth::is_known_function(query.function)) {
    return fail(Error(Errc::invalid_request, "Unknown function").with_field("function"));
  }
  if (query.q.size() > 200) return fail(Error(Errc::invalid_request, "The search text is too long").with_field("q"));
  auto lease = CS_TRY(db_.connect());
  std::string sql(kEntrySelect);
  std::vector<Value> params;
  auto next = [&params](Value v) {
    params.push_back(std::move(v));
    return "$" + std::to_string(params.size());
  };
  if (!query.q.empty()) sql += "AND lower(a.name) LIKE " + next(like_pattern(query.q)) + " ESCAPE '!' ";
  if (!query.function.empty()) sql += "AND (' ' || v.functions || ' ') LIKE " + next("% " + query.function + " %") + " ";
  if (!query.cursor.empty()) {
    // The cursor is the last listed app of the previous page; its name fixes the position.
    Value key[] = {query.cursor};
    auto at = CS_TRY(lease->query_one("SELECT lower(name) FROM apps WHERE id = $1", key));
    if (!at) return fail(Error(Errc::invalid_request, "Unknown cursor").with_field("cursor"));
    std::string name = next(at->text(0));
    std::string id = next(query.cursor);
    sql += "AND (lower(a.name) > " + name + " OR (lower(a.name) = " + name + " AND a.id > " + id + ")) ";
  }
  sql += "ORDER BY lower(a.name), a.id LIMIT " + next(std::int64_t{query.limit + 1});
  auto rows = CS_TRY(lease->query(sql, params));
  DirectoryPage page;
  for (const auto& r : rows) {
    if (page.entries.size() == static_cast<std::size_t>(query.limit)) {
      page.next_cursor = page.entries.back().app_id;
      break;
    }
    page.entries.push_back(entry_from_row(r));
  }
  return page;
}

Result<DirectoryEntry> AppDirectory::entry(std::string_view app_id) {
  if (!is_valid_id(app_id, "app")) return fail(Errc::not_found, "No such app in the directory");
  auto lease = CS_TRY(db_.connect());
  Value key[] = {std::string(app_id)};
  auto row = CS_TRY(lease->query_one(std::string(kEntrySelect) + "AND a.id = $1", key));
  if (!row) return fail(Errc::not_found, "No such app in the directory");
  return entry_from_row(*row);
}

namespace {

constexpr std::string_view kListingSelect =
    "SELECT a.partner_org_id, "
    "CASE WHEN a.status = 'active' AND v.certification = 'certified' THEN 1 ELSE 0 END, "
    "l.description, l.documentation_url, l.support_url, l.connect_url, l.collateral, l.categories, "
    "l.updated_by, l.updated_at "
    "FROM apps a LEFT JOIN app_versions v ON v.id = a.certified_version_id "
    "LEFT JOIN app_listings l ON l.app_id = a.id WHERE a.id = $1";

Listing listing_from_row(std::string_view app_id, const store::Row& r) {
  Listing l;
  l.app_id = std::string(app_id);
  l.listed = r.int64(1) == 1;
  l.input.description = r.opt_text(2);
  l.input.documentation_url = r.opt_text(3);
  l.input.support_url = r.opt_text(4);
  l.input.connect_url = r.opt_text(5);
  l.input.collateral = collateral_from(r.opt_text(6));
  l.input.categories = strings_from(r.opt_text(7));
  l.updated_by = r.opt_text(8);
  l.updated_at = r.opt_int64(9);
  return l;
}

// Loads the app's listing after the policy check; another tenant's app is not_found.
Result<Listing> load_authorised(store::Connection& conn, const identity::Principal& principal,
                                std::string_view app_id, identity::Action action) {
  if (!is_valid_id(app_id, "app")) return fail(Errc::not_found, "App not found");
  Value key[] = {std::string(app_id)};
  auto row = CS_TRY(conn.query_one(kListingSelect, key));
  if (!row) return fail(Errc::not_found, "App not found");
  CS_CHECK(identity::require(principal, action, {identity::ResourceType::app, {}, row->text(0)}));
  return listing_from_row(app_id, *row);
}

nlohmann::json listing_json(const ListingInput& in) {
  auto opt = [](const std::optional<std::string>& s) { return s ? nlohmann::json(*s) : nlohmann::json(nullptr); };
  return {{"description", opt(in.description)},
          {"documentation_url", opt(in.documentation_url)},
          {"support_url", opt(in.support_url)},
          {"connect_url", opt(in.connect_url)},
          {"collateral", collateral_json(in.collateral)},
          {"categories", in.categories}};
}

Value opt_value(const std::optional<std::string>& s) { return s ? Value{*s} : Value{nullptr}; }

}  // namespace

Result<Listing> AppDirectory::listing(const identity::Principal& principal, std::string_view app_id) {
  auto lease = CS_TRY(db_.connect());
  return load_authorised(*lease, principal, app_id, identity::Action::app_read);
}

Result<Listing> AppDirectory::update_listing(const identity::Principal& principal, std::string_view app_id,
                                             ListingInput input, const identity::RequestContext& ctx) {
  Micros now = clock_.now();
  return store::transact(db_, [&](store::Connection& conn) -> Result<Listing> {
    Listing before = CS_TRY(load_authorised(conn, principal, app_id, identity::Action::app_manage));
    ListingInput in = CS_TRY(validate_listing(std::move(input)));
    Value row[] = {std::string(app_id),
                   opt_value(in.description),
                   opt_value(in.documentation_url),
                   opt_value(in.support_url),
                   opt_value(in.connect_url),
                   collateral_json(in.collateral).dump(),
                   nlohmann::json(in.categories).dump(),
                   principal.user_id,
                   now};
    CS_TRY(conn.exec(
        "INSERT INTO app_listings (app_id, description, documentation_url, support_url, connect_url, collateral, "
        "categories, updated_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) "
        "ON CONFLICT (app_id) DO UPDATE SET description = excluded.description, "
        "documentation_url = excluded.documentation_url, support_url = excluded.support_url, "
        "connect_url = excluded.connect_url, collateral = excluded.collateral, categories = excluded.categories, "
        "updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        row));
    audit::AuditEvent event;
    event.actor_type = std::string(principal.is_staff() ? audit::actor::kStaff : audit::actor::kUser);
    event.actor_id = principal.user_id;
    event.action = "app.listing.changed";
    event.target_type = "app";
    event.target_id = std::string(app_id);
    Value key[] = {std::string(app_id)};
    auto org = CS_TRY(conn.query_one("SELECT partner_org_id FROM apps WHERE id = $1", key));
    if (org) event.partner_org_id = org->text(0);
    event.ip = ctx.ip;
    event.request_id = ctx.request_id;
    event.details = {{"before", listing_json(before.input)}, {"after", listing_json(in)}};
    CS_TRY(audit_.append(conn, event));
    Listing after = before;
    after.input = std::move(in);
    after.updated_by = principal.user_id;
    after.updated_at = now;
    return after;
  });
}

}  // namespace cs::directory
