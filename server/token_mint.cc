#include "server/token_mint.h"

#include <unistd.h>

#include <cctype>

#include "api/context.h"
#include "reconciler/secret_box.h"
#include "server/api_internal.h"
#include "server/auth.h"
#include "server/paths.h"
#include "server/pid_file.h"
#include "util/strings.h"

namespace prisn::server {

bool IsTokenName(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  bool all_digits = true;
  for (char c : s) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
    if (!std::isdigit(static_cast<unsigned char>(c))) all_digits = false;
  }
  return !all_digits;
}

api::TokenView TokenViewOf(const store::Token& t) {
  api::TokenView v;
  v.id = t.id;
  v.name = t.name;
  v.ns = t.ns;
  v.created_at = FormatTime(t.created_ms);
  if (t.revoked_ms) v.revoked_at = FormatTime(*t.revoked_ms);
  return v;
}

Result<api::TokenView> MintTokenInStateDir(const std::string& state_dir,
                                           const std::optional<std::string>& ns,
                                           const std::optional<std::string>& name) {
  if (ns && !IsDnsLabel(*ns)) {
    return Fail(ErrorCode::kInvalid,
                "namespace must be a DNS-1123 label (lower case letters, digits, '-')");
  }
  if (name && !IsTokenName(*name)) {
    return Fail(ErrorCode::kInvalid,
                "name must be 1-63 letters, digits, '.', '_' or '-', and not all digits");
  }
  const StatePaths paths = PathsFor(state_dir);
  // Checked before anything is created in the directory.
  auto checked = CheckStateDir(paths);
  if (!checked) return std::unexpected(checked.error());
  if (checked->fresh) {
    return Fail(ErrorCode::kNotFound,
                state_dir + " holds no prisn state: `prisn server start --state-dir " + state_dir +
                    "` makes it and prints the first admin token");
  }
  // A running daemon would neither see the new token (it loads tokens at
  // start) nor expect another writer; the lock also keeps one from starting.
  auto lock = PidFile::Acquire(paths.pid);
  if (!lock) {
    if (lock.error().code != ErrorCode::kConflict) return std::unexpected(lock.error());
    auto pid = RunningPid(paths.pid);
    std::string who = pid && *pid ? " (pid " + std::to_string(**pid) + ")" : "";
    return Fail(ErrorCode::kConflict,
                "a prisn server" + who + " runs on " + state_dir +
                    " and reads tokens only when it starts: stop it (prisn server stop "
                    "--state-dir " +
                    state_dir +
                    ", or systemctl stop prisn), run this again, "
                    "then start it; or create the token through it with an admin token");
  }
  auto box = SecretBox::Load(paths.key);
  if (!box) return std::unexpected(box.error());
  auto store = store::Store::Open(paths.db, std::move(*box));
  if (!store) return std::unexpected(store.error());

  std::string token = GenerateToken();
  auto created = store->CreateToken(name, ns, HashToken(token), "state-dir");
  if (!created) return std::unexpected(created.error());
  if (!ns) {
    auto old = api::ReadContextFile(paths.context);
    std::string server = old && *old ? (*old)->server : std::string();
    if (auto st = api::WriteContextFile(paths.context, server, token); !st) {
      return std::unexpected(st.error());
    }
  }
  api::TokenView view = TokenViewOf(*created);
  view.token = token;
  return view;
}

}  // namespace prisn::server
