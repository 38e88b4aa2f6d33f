#pragma once
// Encryption at rest for sensitive object data (Secret values), with
// libsodium: crypto_secretbox (XSalsa20-Poly1305) under a subkey of a 32-byte
// master key kept in a key file (mode 0600) in the state directory. A second
// subkey keys the BLAKE2b hashes the store uses to notice changes, so that no
// plain hash of a secret value is ever written.

#include <array>
#include <string>
#include <string_view>

#include "util/error.h"

namespace prisn {

class SecretBox {
 public:
  static constexpr size_t kKeySize = 32;

  // Reads the key file at `path`, or creates it (mode 0600, random key,
  // written atomically) when it does not exist. Fails kInvalid when the file
  // has the wrong size, kPermission when it is readable by group or others.
  static Result<SecretBox> LoadOrCreate(const std::string& path);
  // Reads the key file at `path`; kNotFound when it does not exist (a state
  // directory with a database must never get a new key: see CheckStateDir).
  static Result<SecretBox> Load(const std::string& path);
  // A box with a fresh random key that lives only in memory (tests).
  static SecretBox Ephemeral();

  // nonce || ciphertext; never fails.
  std::string Seal(std::string_view plaintext) const;
  // Fails kInvalid when the blob was not sealed under this key or was altered.
  Result<std::string> Open(std::string_view sealed) const;
  // Keyed BLAKE2b-256 of `data`, as raw bytes.
  std::string Hash(std::string_view data) const;

 private:
  static Result<SecretBox> LoadKey(const std::string& path, bool create);
  explicit SecretBox(const std::array<unsigned char, kKeySize>& master);
  std::array<unsigned char, kKeySize> box_key_{};
  std::array<unsigned char, kKeySize> hash_key_{};
};

// Initialises libsodium once; safe from any thread. Aborts if libsodium
// cannot start (no usable randomness), which nothing can recover from.
void EnsureSodium();

// Standard base64 with padding (RFC 4648 §4), libsodium's ORIGINAL variant.
std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);

// sha256 of `data` as lower-case hex (content addresses of source files).
std::string Sha256Hex(std::string_view data);
std::string Hex(std::string_view bytes);

}  // namespace prisn
