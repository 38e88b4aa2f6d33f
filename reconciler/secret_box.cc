#include "reconciler/secret_box.h"

#include <sodium.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/files.h"

namespace prisn {
namespace {

constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "prisnkey";
constexpr uint64_t kBoxSubkey = 1;
constexpr uint64_t kHashSubkey = 2;

static_assert(SecretBox::kKeySize == crypto_kdf_KEYBYTES);
static_assert(crypto_secretbox_KEYBYTES == 32);

}  // namespace

void EnsureSodium() {
  // sodium_init is idempotent and thread-safe; < 0 means no entropy source.
  if (sodium_init() < 0) std::abort();
}

SecretBox::SecretBox(const std::array<unsigned char, kKeySize>& master) {
  crypto_kdf_derive_from_key(box_key_.data(), box_key_.size(), kBoxSubkey, kKdfContext,
                             master.data());
  crypto_kdf_derive_from_key(hash_key_.data(), hash_key_.size(), kHashSubkey, kKdfContext,
                             master.data());
}

SecretBox SecretBox::Ephemeral() {
  EnsureSodium();
  std::array<unsigned char, kKeySize> master{};
  crypto_kdf_keygen(master.data());
  SecretBox box(master);
  sodium_memzero(master.data(), master.size());
  return box;
}

Result<SecretBox> SecretBox::LoadOrCreate(const std::string& path) {
  return LoadKey(path, /*create=*/true);
}

Result<SecretBox> SecretBox::Load(const std::string& path) { return LoadKey(path, false); }

Result<SecretBox> SecretBox::LoadKey(const std::string& path, bool create) {
  EnsureSodium();
  std::array<unsigned char, kKeySize> master{};
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return std::unexpected(ErrnoError("stat " + path, errno));
    if (!create) {
      return Fail(ErrorCode::kNotFound,
                  "the secret key file is missing; restore it from a backup copy of the state "
                  "directory",
                  path);
    }
    crypto_kdf_keygen(master.data());
    auto written = WriteFileAtomic(
        path, std::string_view(reinterpret_cast<const char*>(master.data()), master.size()), 0600);
    if (!written) return std::unexpected(written.error());
  } else {
    if ((st.st_mode & 077) != 0) {
      return Fail(ErrorCode::kPermission,
                  "the secret key file is readable by others; run: chmod 600 " + path, path);
    }
    auto data = ReadFile(path);
    if (!data) return std::unexpected(data.error());
    if (data->size() != kKeySize) {
      return Fail(ErrorCode::kInvalid,
                  "the secret key file must hold exactly 32 bytes (found " +
                      std::to_string(data->size()) + ")",
                  path);
    }
    std::memcpy(master.data(), data->data(), kKeySize);
    sodium_memzero(data->data(), data->size());
  }
  SecretBox box(master);
  sodium_memzero(master.data(), master.size());
  return box;
}

std::string SecretBox::Seal(std::string_view plaintext) const {
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                        nonce, box_key_.data());
  return out;
}

Result<std::string> SecretBox::Open(std::string_view sealed) const {
  if (sealed.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return Fail(ErrorCode::kInvalid, "sealed data is too short");
  }
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  const unsigned char* cipher = nonce + crypto_secretbox_NONCEBYTES;
  size_t cipher_size = sealed.size() - crypto_secretbox_NONCEBYTES;
  std::string out(cipher_size - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(out.data()), cipher, cipher_size,
                                 nonce, box_key_.data()) != 0) {
    return Fail(ErrorCode::kInvalid,
                "sealed data does not open with this key (wrong secret.key, or altered)");
  }
  return out;
}

std::string SecretBox::Hash(std::string_view data) const {
  std::string out(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                     hash_key_.data(), hash_key_.size());
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  EnsureSodium();
  size_t size = sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string out(size, '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(size - 1);  // drop the terminating NUL
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  EnsureSodium();
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t size = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), " \t\r\n", &size, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return Fail(ErrorCode::kInvalid, "not valid base64 (standard alphabet, with padding)");
  }
  out.resize(size);
  return out;
}

std::string Hex(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  out.resize(bytes.size() * 2);
  return out;
}

std::string Sha256Hex(std::string_view data) {
  EnsureSodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return Hex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

}  // namespace prisn
