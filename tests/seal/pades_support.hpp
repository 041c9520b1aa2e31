// Shared by the seal-sign tests: running the external validators (pdfsig, qpdf) on real files,
// and a sealing identity on a fresh SQLite database.
#pragma once

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "core/clock.hpp"
#include "crypto/field_cipher.hpp"
#include "crypto/keyring.hpp"
#include "seal/cms.hpp"
#include "seal/pades.hpp"
#include "seal/signing_identity.hpp"
#include "shell_support.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace cs::seal::testing {

using shell::CommandResult;
using shell::read_file;
using shell::run;
using shell::write_file;

// pdfsig's verdict on one file: valid signature and whether it covers the whole document.
struct PdfsigVerdict {
  bool valid = false;
  bool total_document = false;
  std::string output;
};

inline PdfsigVerdict pdfsig(const std::filesystem::path& file) {
  auto r = run("pdfsig '" + file.string() + "'");
  PdfsigVerdict v;
  v.output = r.output;
  v.valid = r.output.find("Signature Validation: Signature is Valid.") != std::string::npos;
  v.total_document = r.output.find("Total document signed") != std::string::npos;
  return v;
}

inline bool qpdf_check(const std::filesystem::path& file) {
  return run("qpdf --check '" + file.string() + "'").exit_code == 0;
}

// A Countersign CA identity on a fresh SQLite database.
class IdentityFixture {
 public:
  IdentityFixture() : db_(cs::testing::make_test_database(store::Backend::sqlite)) {}
  SigningIdentity identity() {
    auto id = load_or_create_ca_identity(*db_.db, cipher_, clock_);
    EXPECT_TRUE(id) << (id ? "" : id.error().detail());
    return id.value();
  }
  store::Database& db() { return *db_.db; }
  const crypto::FieldCipher& cipher() const { return cipher_; }
  ManualClock& clock() { return clock_; }

 private:
  ManualClock clock_;
  crypto::KeyRing keys_ = crypto::KeyRing::generate(clock_);
  crypto::FieldCipher cipher_{keys_};
  cs::testing::TestDatabase db_;
};

inline Result<std::string> seal_with(std::string_view pdf, const SigningIdentity& id, Micros at,
                                     const TimestampFetcher& tsa = {}) {
  PadesOptions options;
  options.signing_time = at;
  options.reason = "Test seal";
  return seal_pdf(pdf, options,
                  [&](std::string_view bytes) { return sign_cades_detached(bytes, id, tsa); });
}

}  // namespace cs::seal::testing
