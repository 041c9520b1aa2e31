// Writing a batch of recorded calls to api_calls (issue 5 §1), by the fastest path each backend
// has: PostgreSQL loads the batch with one COPY into the partitioned parent table, which routes
// every row to its day's partition; SQLite inserts it with write_calls (multi-row INSERTs in one
// transaction, recorder.hpp). Both write every call once, or none of the batch.
#pragma once

#include <span>

#include "calllog/call_record.hpp"
#include "core/error.hpp"
#include "store/database.hpp"

namespace cs::calllog {

// One transaction of multi-row INSERTs, on either backend (the ingest benchmark compares it).
Status write_calls(store::Connection& conn, std::span<const CallRecord> calls);

Status append_calls(store::Connection& conn, std::span<const CallRecord> calls);

}  // namespace cs::calllog
