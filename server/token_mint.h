#pragma once
// API tokens as the daemon and the state directory both mint them: the names
// a token may have, its JSON shape, and the local way in when no admin token
// is left to ask the daemon with (`prisn token create --admin --state-dir`).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/types_tokens.h"
#include "reconciler/store.h"
#include "util/error.h"

namespace prisn::server {

// Token names: 1-63 letters, digits, '.', '_', '-'; not all digits (ids are).
bool IsTokenName(std::string_view s);

// The token as the API shows it: never the hash, nor the clear token.
api::TokenView TokenViewOf(const store::Token& t);

// Creates a token (an admin one when `ns` is nullopt) in the store of
// `state_dir` and returns it with the clear token, shown only here.
// An admin token is also written into the state dir's context.json, so that
// the CLI given that state dir works again. Holds the pid file's lock while
// it writes, so no daemon starts meanwhile. Fails kConflict when a daemon
// runs on the directory (it keeps its tokens in memory: stop it first),
// kNotFound when the directory holds no prisn state, kInvalid for a bad
// namespace or name, and as CheckStateDir and Store::Open fail.
Result<api::TokenView> MintTokenInStateDir(const std::string& state_dir,
                                           const std::optional<std::string>& ns,
                                           const std::optional<std::string>& name);

}  // namespace prisn::server
