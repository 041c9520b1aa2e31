// `countersign serve`: wires the runtime, the web routes, the job runner and the HTTP server,
// and shuts down in order on SIGTERM/SIGINT: stop accepting, finish in-flight requests, stop
// the job workers, flush the logs, exit 0.
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/logging.hpp"
#include "app/maintenance.hpp"
#include "app/runtime.hpp"
#include "calllog/call_log.hpp"
#include "calllog/retention.hpp"
#include "certification/clock_watch.hpp"
#include "certification/evidence_service.hpp"
#include "certification/final_review.hpp"
#include "certification/launch.hpp"
#include "certification/recertification.hpp"
#include "certification/notifications.hpp"
#include "certification/request_service.hpp"
#include "calllog/trace_capture.hpp"
#include "seal/seal_job.hpp"
#include "http/server.hpp"
#include "store/job_queue.hpp"
#include "store/job_runner.hpp"
#include "directory/app_directory.hpp"
#include "web/calllog_observer.hpp"
#include "web/idempotency.hpp"
#include "web/web_context.hpp"

namespace cs::app {
namespace {

unsigned cores() { return std::max(1u, std::thread::hardware_concurrency()); }

http::ServerOptions server_options(const Config& c) {
  http::ServerOptions o;
  o.host = c.host();
  o.port = c.port();
  o.io_threads = c.io_threads > 0 ? static_cast<unsigned>(c.io_threads) : cores();
  o.worker_threads = c.worker_threads > 0 ? static_cast<unsigned>(c.worker_threads) : std::max(4u, 2 * cores());
  o.header_limit = static_cast<std::size_t>(c.header_limit_bytes);
  o.header_timeout = std::chrono::milliseconds(c.header_timeout_ms);
  o.default_max_body = static_cast<std::size_t>(c.json_body_limit_bytes);
  o.default_body_timeout = std::chrono::milliseconds(c.body_timeout_ms);
  o.write_timeout = std::chrono::milliseconds(c.write_timeout_ms);
  o.keepalive_idle_timeout = std::chrono::milliseconds(c.keepalive_idle_timeout_ms);
  o.max_connections = static_cast<std::size_t>(c.max_connections);
  o.shutdown_grace = std::chrono::milliseconds(c.shutdown_grace_ms);
  if (!c.tls_cert_file.empty()) {
    o.tls_cert_file = c.tls_cert_file;
    o.tls_key_file = c.tls_key_file;
  }
  o.access_log = c.access_log;
  o.trusted_proxies = c.trusted_proxy_list();
  o.handle_signals = true;
  return o;
}

}  // namespace

int cmd_serve(const Config& config) {
  setup_logging(config.log_level);
  auto opened = open_runtime(config);
  if (!opened) {
    spdlog::critical("cannot start: {} {}", opened.error().message(), opened.error().detail());
    shutdown_logging();
    return 1;
  }
  Runtime& rt = **opened;
  if (!config.testing_clock_offset_file.empty()) {
    // End-to-end tests only: every service's "now" follows the offset in this file.
    spdlog::warn("testing.clock_offset_file is set ({}): the server clock runs {} s from the system clock and "
                 "follows that file; never use this in production",
                 config.testing_clock_offset_file, (rt.clock.now() - SystemClock().now()) / kMicrosPerSecond);
  }

  http::Router router;
  http::Metrics metrics;
  bool secure = !config.tls_cert_file.empty() || config.effective_public_url().rfind("https://", 0) == 0;
  web::WebContext ctx{*rt.db,    metrics, rt.directory, rt.auth, rt.sessions, rt.apps, rt.authz,
                      config.effective_public_url(), secure};
  // The API call log, rate limits and the polling rule (issue 5).
  calllog::CallLogOptions calllog_options;
  calllog_options.queue_capacity = static_cast<std::size_t>(config.calllog_queue_capacity);
  calllog_options.defaults = {config.ratelimit_hourly, config.ratelimit_burst_production, config.ratelimit_burst_sandbox};
  calllog_options.polling =
      config.polling_enforcement == "reject" ? calllog::PollingMode::reject : calllog::PollingMode::record;
  calllog::CallLog call_log(*rt.db, rt.clock, rt.audit, calllog_options);
  if (auto s = call_log.start(); !s) {
    spdlog::critical("cannot start the call log: {} {}", s.error().message(), s.error().detail());
    shutdown_logging();
    return 1;
  }
  ctx.calllog = &call_log;
  // Trace capture (issue 5 §3): its own writer, so captured bodies never wait on call-log batches.
  calllog::TraceCaptures trace_captures(*rt.db, rt.clock, rt.audit);
  if (auto s = trace_captures.start(); !s) {
    spdlog::critical("cannot start trace capture: {} {}", s.error().message(), s.error().detail());
    shutdown_logging();
    return 1;
  }
  ctx.traces = &trace_captures;
  ctx.webhooks = &rt.webhooks;
  ctx.envelopes = &rt.envelopes;
  ctx.seal = &rt.seal;
  ctx.signing = &rt.signing;
  ctx.max_document_bytes = config.esign_max_document_bytes;
  if (!config.calllog_record) {
    spdlog::warn("calllog.record is false: API calls are not recorded in the call log (no certification "
                 "evidence, no call reviews); use this only to measure the recorder's cost");
  }
  web::CallLogObserver call_observer(ctx, config.calllog_record);
  metrics.add_gauge("countersign_calllog_dropped_total", "API calls not recorded because the call-log queue was full",
                    [&call_log] { return static_cast<double>(call_log.recorder().dropped()); });
  metrics.add_gauge("countersign_calllog_written_total", "API calls written to the call log",
                    [&call_log] { return static_cast<double>(call_log.recorder().written()); });
  metrics.add_gauge("countersign_calllog_failed_total", "API calls lost because the database refused their batch",
                    [&call_log] { return static_cast<double>(call_log.recorder().failed()); });
  metrics.add_gauge("countersign_trace_capture_dropped_total",
                    "Exchanges of apps with an active trace capture not captured because its queue was full",
                    [&trace_captures] { return static_cast<double>(trace_captures.dropped()); });
  metrics.add_gauge("countersign_calllog_queue_depth", "API calls waiting for the call-log writer",
                    [&call_log] { return static_cast<double>(call_log.recorder().queued()); });

  // The certification program (issue 6): evidence, requests, final review, launch,
  // recertification, clocks at risk and metrics, all on the team's business calendar.
  auto cert_calendar = certification_calendar(config);
  if (!cert_calendar) {
    spdlog::critical("bad [certification] calendar: {} {}", cert_calendar.error().message(), cert_calendar.error().detail());
    shutdown_logging();
    return 1;
  }
  // Certification evidence (issue 6 §2-§4; cert-evidence): artifacts, instance access,
  // questionnaire, kickoff, dry run and the automated pre-review. RequestService reads its
  // guards' facts through it (ctx.evidence), so it is built before the request service.
  certification::EvidenceLimits evidence_limits;
  evidence_limits.video_max_bytes = config.certification_video_max_bytes;
  evidence_limits.recording_max_bytes = config.certification_recording_max_bytes;
  evidence_limits.artifact_max_bytes = config.certification_artifact_max_bytes;
  evidence_limits.instance_url_policy.allow_private_targets = config.webhooks_allow_private_targets;
  certification::EvidenceService cert_evidence(*rt.db, rt.blobs, rt.cipher, rt.audit, *cert_calendar, rt.clock,
                                               evidence_limits);
  ctx.evidence = &cert_evidence;
  certification::RequestService cert_requests(*rt.db, rt.clock, rt.audit, *cert_calendar, rt.apps, &cert_evidence);
  ctx.cert_requests = &cert_requests;
  certification::FinalReview final_review({*rt.db, rt.clock, rt.audit, *cert_calendar, *ctx.cert_requests, rt.apps,
                                           rt.directory, rt.envelopes});
  final_review.attach();
  certification::Launch cert_launch(*rt.db, rt.clock, *ctx.cert_requests, rt.apps);
  cert_launch.attach();
  certification::attach_recertification(rt.apps, rt.clock, rt.audit);
  certification::ClockWatch clock_watch(*rt.db, rt.clock, *cert_calendar);
  ctx.final_review = &final_review;

  web::register_ops_routes(router, ctx);
  web::register_page_routes(router, ctx);
  web::register_oauth_endpoints(router, ctx);
  web::register_api_routes(router, ctx);
  web::register_oauth_pages(router, ctx);
  // The requirements catalogue and the public app directory (issue 6 §1, §7).
  directory::AppDirectory app_directory(*rt.db, rt.clock, rt.audit);
  ctx.app_directory = &app_directory;

  metrics.add_gauge("countersign_job_queue_depth", "Jobs queued or running in the durable job queue", [&rt] {
    auto s = store::stats(*rt.db);
    return s ? static_cast<double>(s->queued + s->running) : -1.0;
  });
  metrics.add_gauge("countersign_jobs_dead", "Jobs that exhausted their retries (kept for inspection)", [&rt] {
    auto s = store::stats(*rt.db);
    return s ? static_cast<double>(s->dead) : -1.0;
  });

  store::JobRunnerOptions job_options;
  job_options.workers = config.job_workers;
  store::JobRunner jobs(*rt.db, rt.clock, job_options);
  jobs.register_handler(std::string(notify::kEmailJobKind), [&rt](const store::Job& job) { return rt.mailer.handle(job); });
  jobs.register_handler(std::string(events::kFanoutJobKind),
                        [&rt](const store::Job& job) { return rt.webhook_dispatcher.fan_out(job); });
  jobs.register_handler(std::string(events::kDeliverJobKind),
                        [&rt](const store::Job& job) { return rt.webhook_dispatcher.deliver(job); });
  jobs.register_handler(std::string(esign::kExpireJobKind),
                        [&rt](const store::Job& job) { return rt.envelopes.handle_expire_job(job); });
  jobs.register_handler(std::string(seal::kSealJobKind), [&rt](const store::Job& job) { return rt.seal.handle_job(job); });
  metrics.add_gauge("countersign_seal_sealed_total", "Completed envelopes sealed by this process",
                    [&rt] { return static_cast<double>(rt.seal.sealed_total()); });
  metrics.add_gauge("countersign_seal_alerts_total", "Sealing jobs that failed their last attempt (envelope left unsealed)",
                    [&rt] { return static_cast<double>(rt.seal.alerts_total()); });
  if (!rt.mailer.uses_smtp()) {
    log_event({{"event", "email_outbox"}, {"outbox_dir", rt.mailer.settings().outbox_dir.string()},
               {"note", "no smtp.host configured: emails are written as .eml files"}});
  }
  jobs.register_handler(std::string(certification::kFinalReviewJobKind),
                        [&final_review](const store::Job& job) { return final_review.handle_final_review_job(job); });
  jobs.register_handler(std::string(certification::kEnvelopeOutcomeJobKind),
                        [&final_review](const store::Job& job) { return final_review.handle_envelope_outcome_job(job); });
  jobs.register_handler(std::string(certification::kLaunchJobKind),
                        [&cert_launch](const store::Job& job) { return cert_launch.handle_job(job); });
  jobs.register_handler(std::string(certification::kPreReviewJobKind),
                        [&cert_evidence](const store::Job& job) { return cert_evidence.run_pre_review_job(job); });
  jobs.start();

  Maintenance maintenance({{"sessions.purge_expired", [&rt] { return rt.sessions.purge_expired(); }},
                           {"login.purge_throttle_records", [&rt] { return rt.auth.purge_throttle_records(); }},
                           // Finished jobs are kept a week for inspection; dead ones until handled.
                           {"oauth.purge_expired", [&rt] { return rt.authz.purge_expired(24LL * 3600 * kMicrosPerSecond); }},
                           {"calllog.purge",
                            [&rt, &config] {
                              return calllog::purge_calls(*rt.db, rt.clock.now() - config.calllog_retention_days * calllog::kMicrosPerDay);
                            }},
                           {"calllog.partitions", [&rt] { return calllog::ensure_partitions(*rt.db, rt.clock.now()); }},
                           {"ratelimit.purge_windows",
                            [&rt] { return calllog::purge_rate_windows(*rt.db, rt.clock.now() - calllog::kHourWindow); }},
                           {"idempotency.purge", [&rt] { return web::purge_idempotency_keys(*rt.db, rt.clock.now()); }},
                           // A safety net behind the envelope.expire jobs (e.g. one that went dead).
                           {"envelopes.expire_overdue", [&rt] { return rt.envelopes.expire_overdue(); }},
                           // Staff hear once when a review or final clock becomes due soon / overdue.
                           {"certification.clocks_at_risk", [&clock_watch] { return clock_watch.run(); }},
                           {"jobs.purge_done",
                            [&rt] { return store::purge_done(*rt.db, rt.clock.now() - 7LL * 24 * 3600 * kMicrosPerSecond); }}},
                          std::chrono::milliseconds(config.maintenance_interval_ms));
  maintenance.start();

  http::Server server(server_options(config), router, metrics);
  server.set_authenticator(web::make_authenticator(ctx));
  server.set_observer(&call_observer);
  server.on_stopping([&jobs, &maintenance] {
    maintenance.stop();
    jobs.stop();
  });
  auto started = server.start();
  if (!started) {
    spdlog::critical("cannot listen on {}: {} {}", config.listen, started.error().message(), started.error().detail());
    maintenance.stop();
    jobs.stop();
    shutdown_logging();
    return 1;
  }
  std::string host = config.host().find(':') != std::string::npos ? "[" + config.host() + "]" : config.host();
  std::string scheme = config.tls_cert_file.empty() ? "http" : "https";
  std::string bound_url = scheme + "://" + host + ":" + std::to_string(server.port());
  // The OAuth issuer names the port actually bound (port 0 picks one) unless public_url says
  // where clients reach us.
  if (config.public_url.empty()) ctx.issuer = bound_url;
  rt.envelopes.set_public_url(ctx.issuer);  // signing links in emails and embedded views
  cert_launch.set_public_url(ctx.issuer);   // the certificate link in the launch email
  certification::configure_notice_links(ctx.issuer);  // request links in certification emails
  log_event({{"event", "listening"},
             {"url", bound_url},
             {"port", server.port()},
             {"database", rt.db->backend() == store::Backend::sqlite ? "sqlite" : "postgresql"},
             {"data_dir", config.data_dir.string()}});
  server.run();
  call_log.stop();  // every call recorded so far is written before exit
  trace_captures.stop();
  jobs.stop();
  log_event({{"event", "stopped"}});
  shutdown_logging();
  return 0;
}

}  // namespace cs::app
