// Operator subcommands on a (possibly running) server's data: migrate, keys, audit.
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "app/key_rotation.hpp"
#include "app/runtime.hpp"
#include "crypto/primitives.hpp"
#include "core/clock.hpp"
#include "store/migrations.hpp"

namespace cs::app {

void print_result(const nlohmann::json& j, const OutputOptions& out, const std::string& human) {
  if (out.json) {
    std::cout << j.dump() << "\n";
  } else {
    std::cout << human << "\n";
  }
}

int report_failure(const Error& error, const OutputOptions& out) {
  if (out.json) {
    std::cerr << nlohmann::json{{"error", {{"code", error.code()}, {"message", error.message()}}}}.dump() << "\n";
  } else {
    std::cerr << "countersign: " << error.message();
    if (!error.detail().empty()) std::cerr << " (" << error.detail() << ")";
    std::cerr << "\n";
  }
  return 1;
}

int cmd_migrate(const Config& config, bool status_only, const OutputOptions& out) {
  crypto::init();
  store::DatabaseOptions options;
  options.url = config.effective_database_url();
  auto db = store::open_database(options);
  if (!db) return report_failure(db.error(), out);
  if (!status_only) {
    if (auto done = store::migrate(**db); !done) return report_failure(done.error(), out);
  }
  auto status = store::migration_status(**db);
  if (!status) return report_failure(status.error(), out);
  if (out.json) {
    std::cout << nlohmann::json{{"current", status->current}, {"latest", status->latest}, {"pending", status->pending}}.dump()
              << "\n";
  } else {
    std::cout << "migrations: current " << status->current << ", latest " << status->latest << ", pending "
              << status->pending << "\n";
  }
  return 0;
}

int cmd_keys_list(const Config& config, const OutputOptions& out) {
  auto rt = open_runtime(config);
  if (!rt) return report_failure(rt.error(), out);
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& k : (*rt)->keys.list()) {
    keys.push_back({{"id", k.id}, {"created_at", format_rfc3339(k.created_at)}, {"active", k.active}});
    if (!out.json) std::cout << k.id << "  " << format_rfc3339(k.created_at) << (k.active ? "  active" : "") << "\n";
  }
  if (out.json) std::cout << nlohmann::json{{"keys", keys}}.dump() << "\n";
  return 0;
}

int cmd_keys_rotate(const Config& config, const OutputOptions& out) {
  if (!config.master_keys.empty()) {
    return report_failure(Error(Errc::invalid_request,
                                "the key ring comes from COUNTERSIGN_MASTER_KEYS (keys.value); rotate it where it is "
                                "kept, or use a key file"),
                          out);
  }
  auto opened = open_runtime(config);
  if (!opened) return report_failure(opened.error(), out);
  Runtime& rt = **opened;
  auto new_id = rt.keys.add_key(config.effective_key_file());
  if (!new_id) return report_failure(new_id.error(), out);
  auto report = reencrypt_columns(*rt.db, rt.cipher, *new_id, encrypted_columns());
  if (!report) return report_failure(report.error(), out);
  audit::AuditEvent event;
  event.actor_type = "operator";
  event.actor_id = "cli";
  event.action = "keys.rotated";
  event.target_type = "master_key";
  event.target_id = *new_id;
  event.details = {{"reencrypted", report->reencrypted}, {"already_current", report->already_current}};
  if (auto logged = rt.audit.append(*rt.db, event); !logged) return report_failure(logged.error(), out);
  if (out.json) {
    std::cout << nlohmann::json{{"active_key", *new_id},
                                {"reencrypted", report->reencrypted},
                                {"already_current", report->already_current}}
                     .dump()
              << "\n";
  } else {
    std::cout << "new active key " << *new_id << "; re-encrypted " << report->reencrypted << " field(s)\n";
  }
  return 0;
}

int cmd_audit_verify(const Config& config, const OutputOptions& out) {
  auto opened = open_runtime(config);
  if (!opened) return report_failure(opened.error(), out);
  Runtime& rt = **opened;
  auto conn = rt.db->connect();
  if (!conn) return report_failure(conn.error(), out);
  auto report = rt.audit.verify(**conn);
  if (!report) return report_failure(report.error(), out);
  if (out.json) {
    nlohmann::json j{{"ok", report->ok}, {"entries_checked", report->entries_checked}};
    if (report->first_bad_seq) {
      j["first_bad_seq"] = *report->first_bad_seq;
      j["reason"] = report->reason;
    }
    std::cout << j.dump() << "\n";
  } else if (report->ok) {
    std::cout << "audit log intact: " << report->entries_checked << " entries\n";
  } else {
    std::cout << "audit log BROKEN at entry " << report->first_bad_seq.value_or(0) << ": " << report->reason << "\n";
  }
  return report->ok ? 0 : 1;
}

}  // namespace cs::app
