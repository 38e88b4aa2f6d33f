// API tokens: only their hashes are stored.
#include <charconv>

#include "reconciler/store_impl.h"

namespace prisn::store {
namespace {

Token ReadToken(const sqlite::Statement& s) {
  Token t;
  t.id = s.Int(0);
  t.name = s.Text(1);
  t.ns = s.OptText(2);
  t.hash = s.Blob(3);
  t.created_ms = s.Int(4);
  t.revoked_ms = s.OptInt(5);
  return t;
}

std::string Describe(const std::optional<std::string>& ns) {
  return ns ? "namespace " + *ns : "admin";
}

}  // namespace

Result<Token> Store::CreateToken(const std::optional<std::string>& name,
                                 const std::optional<std::string>& ns, const std::string& hash,
                                 const std::string& actor) {
  Impl& impl = *impl_;
  auto tx = sqlite::Transaction::Begin(impl.db);
  if (!tx) return std::unexpected(tx.error());
  Token t;
  {
    auto& s = impl.st.token_next_id;
    sqlite::ResetGuard guard(s);
    auto step = s.Step();
    if (!step) return std::unexpected(step.error());
    t.id = s.Int(0);
  }
  t.name = name.value_or("token-" + std::to_string(t.id));
  t.ns = ns;
  t.hash = hash;
  t.created_ms = impl.Now();
  auto& s = impl.st.token_insert;
  s.Bind(1, t.id).Bind(2, t.name).Bind(3, t.ns).BindBlob(4, t.hash).Bind(5, t.created_ms);
  if (auto st = s.Run(); !st) {
    if (st.error().code == ErrorCode::kConflict) {
      return Fail(ErrorCode::kConflict, "a token with this name exists; choose another name",
                  t.name);
    }
    return std::unexpected(st.error());
  }
  auto index = impl.CurrentIndex();
  if (!index) return std::unexpected(index.error());
  if (auto st =
          impl.AddScopedEvent(std::nullopt, "token-created",
                              "token " + t.name + " (" + Describe(ns) + ") created", actor, *index);
      !st) {
    return std::unexpected(st.error());
  }
  if (auto st = tx->Commit(); !st) return std::unexpected(st.error());
  return t;
}

Result<std::vector<Token>> Store::ListTokens() {
  auto& s = impl_->st.token_list;
  sqlite::ResetGuard guard(s);
  std::vector<Token> out;
  for (;;) {
    auto step = s.Step();
    if (!step) return std::unexpected(step.error());
    if (!*step) break;
    out.push_back(ReadToken(s));
  }
  return out;
}

Result<Token> Store::RevokeToken(const std::string& id_or_name, const std::string& actor) {
  Impl& impl = *impl_;
  auto tx = sqlite::Transaction::Begin(impl.db);
  if (!tx) return std::unexpected(tx.error());
  std::optional<int64_t> id;
  int64_t parsed = 0;
  auto [end, ec] =
      std::from_chars(id_or_name.data(), id_or_name.data() + id_or_name.size(), parsed);
  if (ec == std::errc() && end == id_or_name.data() + id_or_name.size()) id = parsed;
  Token t;
  {
    auto& s = impl.st.token_find;
    sqlite::ResetGuard guard(s);
    s.Bind(1, id_or_name).Bind(2, id);
    auto step = s.Step();
    if (!step) return std::unexpected(step.error());
    if (!*step) return Fail(ErrorCode::kNotFound, "no such token (see prisn token ls)", id_or_name);
    t = ReadToken(s);
  }
  if (t.revoked_ms) return t;  // revoking twice is harmless
  if (!t.ns) {
    auto& s = impl.st.token_admins;
    sqlite::ResetGuard guard(s);
    auto step = s.Step();
    if (!step) return std::unexpected(step.error());
    if (s.Int(0) <= 1) {
      return Fail(ErrorCode::kConflict,
                  "this is the last admin token; create another admin token first", t.name);
    }
  }
  t.revoked_ms = impl.Now();
  impl.st.token_revoke.Bind(1, t.id).Bind(2, *t.revoked_ms);
  if (auto st = impl.st.token_revoke.Run(); !st) return std::unexpected(st.error());
  auto index = impl.CurrentIndex();
  if (!index) return std::unexpected(index.error());
  if (auto st = impl.AddScopedEvent(std::nullopt, "token-revoked",
                                    "token " + t.name + " (" + Describe(t.ns) + ") revoked", actor,
                                    *index);
      !st) {
    return std::unexpected(st.error());
  }
  if (auto st = tx->Commit(); !st) return std::unexpected(st.error());
  return t;
}

}  // namespace prisn::store
