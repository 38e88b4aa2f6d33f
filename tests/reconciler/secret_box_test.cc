#include "reconciler/secret_box.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "store_fixture.h"
#include "util/files.h"

namespace prisn {
namespace {

using store::testing::TempDir;

TEST_CASE("SecretBox seals and opens, the sealed form does not contain the plaintext") {
  SecretBox box = SecretBox::Ephemeral();
  std::string sealed = box.Seal("s3cr3t value");
  CHECK(sealed.find("s3cr3t") == std::string::npos);
  auto opened = box.Open(sealed);
  REQUIRE(opened);
  CHECK(*opened == "s3cr3t value");
  CHECK(box.Seal("same") != box.Seal("same"));  // fresh nonce each time
}

TEST_CASE("SecretBox refuses data sealed under another key or altered") {
  SecretBox a = SecretBox::Ephemeral();
  SecretBox b = SecretBox::Ephemeral();
  std::string sealed = a.Seal("value");
  CHECK_FALSE(b.Open(sealed));
  sealed.back() ^= 1;
  auto altered = a.Open(sealed);
  REQUIRE_FALSE(altered);
  CHECK(altered.error().code == ErrorCode::kInvalid);
  CHECK_FALSE(a.Open("short"));
}

TEST_CASE("SecretBox key file is created with mode 0600 and reloads to the same key") {
  TempDir dir;
  std::string path = dir.File("secret.key");
  auto first = SecretBox::LoadOrCreate(path);
  REQUIRE(first);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(st.st_size == 32);
  auto second = SecretBox::LoadOrCreate(path);
  REQUIRE(second);
  auto opened = second->Open(first->Seal("v"));
  REQUIRE(opened);
  CHECK(*opened == "v");
  CHECK(first->Hash("x") == second->Hash("x"));
}

TEST_CASE("SecretBox refuses a key file readable by others or of the wrong size") {
  TempDir dir;
  std::string path = dir.File("secret.key");
  REQUIRE(WriteFileAtomic(path, std::string(32, 'k'), 0644));
  auto open_perm = SecretBox::LoadOrCreate(path);
  REQUIRE_FALSE(open_perm);
  CHECK(open_perm.error().code == ErrorCode::kPermission);
  REQUIRE(WriteFileAtomic(path, "short", 0600));
  auto short_key = SecretBox::LoadOrCreate(path);
  REQUIRE_FALSE(short_key);
  CHECK(short_key.error().code == ErrorCode::kInvalid);
}

TEST_CASE("Base64 round-trips binary data and rejects garbage") {
  std::string bytes("\0\xff\x10 hello", 9);
  std::string encoded = Base64Encode(bytes);
  auto decoded = Base64Decode(encoded);
  REQUIRE(decoded);
  CHECK(*decoded == bytes);
  CHECK(Base64Encode("hi") == "aGk=");
  CHECK(*Base64Decode("") == "");
  CHECK_FALSE(Base64Decode("not base64!"));
}

TEST_CASE("Sha256Hex matches the known digest of abc") {
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace prisn
