#include "store/blob_store.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.hpp"

namespace cs::store {
namespace {

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

class BlobStoreTest : public ::testing::Test {
 protected:
  cs::testing::TempDir dir_;
  FileBlobStore store_{dir_.path() / "blobs", 1024};
};

TEST_F(BlobStoreTest, PutThenGetReturnsTheBytesUnderTheirHash) {
  auto data = bytes("hello");
  auto ref = store_.put(data);
  ASSERT_TRUE(ref) << ref.error().detail();
  // SHA-256("hello")
  EXPECT_EQ(ref->sha256, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_EQ(ref->size, 5u);
  EXPECT_TRUE(std::filesystem::is_regular_file(dir_.path() / "blobs" / "2c" / "f2" / ref->sha256));
  auto got = store_.get(ref->sha256);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, data);
  EXPECT_EQ(store_.exists(ref->sha256).value(), true);
}

TEST_F(BlobStoreTest, PutIsIdempotentAndLeavesNoTempFiles) {
  auto data = bytes("same content");
  auto a = store_.put(data);
  auto b = store_.put(data);
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(*a, *b);
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path())) {
    if (e.is_regular_file()) {
      ++files;
      EXPECT_EQ(e.path().filename().string().rfind(".tmp", 0), std::string::npos) << e.path();
    }
  }
  EXPECT_EQ(files, 1);
}

TEST_F(BlobStoreTest, EmptyBlobIsStorable) {
  auto ref = store_.put({});
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  auto got = store_.get(ref->sha256);
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->empty());
}

TEST_F(BlobStoreTest, SizeLimitIsPayloadTooLarge) {
  std::vector<std::uint8_t> at_limit(1024, 'a');
  EXPECT_TRUE(store_.put(at_limit));
  std::vector<std::uint8_t> over(1025, 'a');
  auto r = store_.put(over);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errc(), Errc::payload_too_large);
  EXPECT_FALSE(store_.exists(sha256_hex(over)).value());
}

TEST_F(BlobStoreTest, UnknownHashIsNotFound) {
  std::string missing(64, 'a');
  auto r = store_.get(missing);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errc(), Errc::not_found);
  EXPECT_FALSE(store_.exists(missing).value());
}

TEST_F(BlobStoreTest, PathTraversalAndMalformedHashesNeverTouchTheFilesystem) {
  // A file outside the store that a traversal would reach.
  { std::ofstream(dir_.path() / "secret") << "top secret"; }
  auto ref = store_.put(bytes("x"));
  ASSERT_TRUE(ref);
  std::string upper = ref->sha256;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::string bad[] = {
      "../../etc/passwd",
      "../secret",
      "../../../../../../" + std::string(46, 'a'),
      ref->sha256.substr(0, 63),   // truncated
      ref->sha256 + "0",           // too long
      upper,                       // upper case is not the canonical name
      std::string(63, 'a') + "g",  // not hex
      std::string(32, 'a') + "/" + std::string(31, 'a'),
      std::string(63, 'a') + std::string(1, '\0'),
      "",
  };
  for (const auto& h : bad) {
    auto g = store_.get(h);
    ASSERT_FALSE(g) << h;
    EXPECT_EQ(g.error().errc(), Errc::not_found) << h;
    EXPECT_FALSE(store_.exists(h).value()) << h;
    auto rm = store_.remove(h);
    ASSERT_FALSE(rm) << h;
    EXPECT_EQ(rm.error().errc(), Errc::not_found);
  }
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "secret"));
  EXPECT_TRUE(store_.exists(ref->sha256).value());
}

TEST_F(BlobStoreTest, CorruptedFileOnDiskIsNotServed) {
  auto ref = store_.put(bytes("original"));
  ASSERT_TRUE(ref);
  { std::ofstream(store_.path_for(ref->sha256), std::ios::trunc) << "tampered"; }
  auto got = store_.get(ref->sha256);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().errc(), Errc::internal);
  EXPECT_EQ(got.error().message().find(ref->sha256), std::string::npos);
}

TEST_F(BlobStoreTest, RemoveDeletesAndIsIdempotent) {
  auto ref = store_.put(bytes("bye"));
  ASSERT_TRUE(ref);
  ASSERT_TRUE(store_.remove(ref->sha256));
  EXPECT_FALSE(store_.exists(ref->sha256).value());
  EXPECT_TRUE(store_.remove(ref->sha256));
  EXPECT_EQ(store_.get(ref->sha256).error().errc(), Errc::not_found);
}

TEST(Sha256Hex, RecognisesOnlyCanonicalDigests) {
  EXPECT_TRUE(is_sha256_hex(std::string(64, '0')));
  EXPECT_TRUE(is_sha256_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  EXPECT_FALSE(is_sha256_hex("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
  EXPECT_FALSE(is_sha256_hex(std::string(64, 'z')));
  EXPECT_FALSE(is_sha256_hex(std::string(65, 'a')));
}

}  // namespace
}  // namespace cs::store
