#include "server/auth.h"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include "reconciler/secret_box.h"

namespace prisn::server {

std::string GenerateToken() {
  EnsureSodium();
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string encoded(sodium_base64_encoded_len(sizeof raw, kVariant), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(), raw, sizeof raw, kVariant);
  encoded.resize(encoded.size() - 1);  // the terminating NUL
  sodium_memzero(raw, sizeof raw);
  return "prisn_" + encoded;
}

std::string HashToken(std::string_view token) {
  EnsureSodium();
  std::string out(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr,
                     0);
  return out;
}

Status CheckHostAccess(const Principal& who, const HostAccessPolicy& policy,
                       std::string_view object, int level, std::string_view user) {
  if (who.admin()) return {};
  const std::string what(object);
  if (!policy.isolates) {
    return Fail(ErrorCode::kPermission,
                what + " cannot be isolated: this daemon does not run as root, so every "
                       "workload would run as the daemon's own user, which owns its state "
                       "and admin token; only an admin token may start workloads here. Run "
                       "the daemon as root (the packaged service does) to give namespace "
                       "tokens isolated workloads");
  }
  if (level < 1) {
    return Fail(ErrorCode::kPermission,
                what + " asks for isolation level " + std::to_string(level) +
                    ", which runs it as the daemon's own user with the host's files and "
                    "processes: only an admin token may ask for it (this token is scoped to "
                    "namespace " +
                    who.ns.value_or("") +
                    "). Use level 1 (the default) or 2, or have an admin apply it");
  }
  if (!user.empty() && !policy.allowed_users.contains(std::string(user))) {
    return Fail(ErrorCode::kPermission,
                what + " asks to run as host user \"" + std::string(user) +
                    "\" (isolation.user), which gives it that user's files: only an admin "
                    "token may ask for it, or a user the daemon was started to allow (prisn "
                    "server start --allow-host-user " +
                    std::string(user) +
                    "). Omit isolation.user to run as prisn's own unprivileged user");
  }
  return {};
}

Status CheckHostAccess(const Principal& who, const HostAccessPolicy& policy,
                       const manifests::Object& object) {
  if (object.kind == manifests::KindName(manifests::Kind::kRunner) &&
      object.meta.namespace_ == "default" && !who.admin()) {
    return Fail(ErrorCode::kPermission,
                "Runner default/" + object.meta.name +
                    " is shared by every namespace's workloads: only an admin token may "
                    "define or change it. Define the Runner in your own namespace (" +
                    who.ns.value_or("") + ") instead");
  }
  const manifests::WorkloadSpec* w = object.Workload();
  if (w == nullptr) return {};
  return CheckHostAccess(who, policy,
                         object.kind + " " + object.meta.namespace_ + "/" + object.meta.name,
                         w->isolation.level, w->isolation.user);
}

Status CheckHostAccess(const Principal& who, const HostAccessPolicy& policy,
                       const store::ObjectKey& key, std::string_view spec_json) {
  if (who.admin()) return {};
  const std::string what = key.kind + " " + key.ns + "/" + key.name;
  auto j = nlohmann::json::parse(spec_json, nullptr, /*allow_exceptions=*/false);
  const nlohmann::json* spec = nullptr;
  if (j.is_object()) {
    auto it = j.find("spec");
    if (it != j.end() && it->is_object()) spec = &*it;
  }
  if (spec == nullptr) return {};  // no spec: not a workload
  auto iso = spec->find("isolation");
  if (iso == spec->end()) return {};  // a kind without isolation
  int level = 1;
  std::string user;
  bool readable = iso->is_object();
  if (readable) {
    auto l = iso->find("level");
    auto u = iso->find("user");
    if (l != iso->end() && !l->is_null()) {
      readable = l->is_number_integer() && l->get<int64_t>() >= 0 && l->get<int64_t>() <= 2;
      if (readable) level = static_cast<int>(l->get<int64_t>());
    }
    if (u != iso->end() && !u->is_null()) {
      readable = readable && u->is_string();
      if (u->is_string()) user = u->get<std::string>();
    }
  }
  if (!readable) {
    // Fail closed: what cannot be read might ask for anything.
    return Fail(ErrorCode::kPermission,
                what +
                    ": the stored isolation of this version cannot be read; only an admin "
                    "token may restore it");
  }
  return CheckHostAccess(who, policy, what, level, user);
}

void TokenRegistry::Load(const std::vector<store::Token>& tokens) {
  by_hash_.With([&](auto& map) {
    map.clear();
    for (const store::Token& t : tokens) {
      if (!t.revoked_ms) map[t.hash] = Principal{t.id, t.name, t.ns};
    }
  });
}

void TokenRegistry::Add(const store::Token& t) {
  if (t.revoked_ms) return;
  by_hash_.With([&](auto& map) { map[t.hash] = Principal{t.id, t.name, t.ns}; });
}

void TokenRegistry::Remove(int64_t token_id) {
  by_hash_.With([&](auto& map) {
    std::erase_if(map, [&](const auto& kv) { return kv.second.token_id == token_id; });
  });
}

std::optional<Principal> TokenRegistry::Authenticate(std::string_view authorization) const {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  // The scheme name is case-insensitive (RFC 7235).
  for (size_t i = 0; i + 1 < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return std::nullopt;
    }
  }
  if (authorization[kScheme.size() - 1] != ' ') return std::nullopt;
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (!token.starts_with("prisn_") || token.size() > 256) return std::nullopt;
  std::string hash = HashToken(token);
  return by_hash_.With([&](const auto& map) -> std::optional<Principal> {
    auto it = map.find(hash);
    if (it == map.end()) return std::nullopt;
    return it->second;
  });
}

}  // namespace prisn::server
