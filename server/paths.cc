#include "server/paths.h"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <vector>

namespace prisn::server {

std::optional<std::string> Env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

Result<std::string> DefaultStateDir() {
  if (::geteuid() == 0) return std::string("/var/lib/prisn");
  if (auto xdg = Env("XDG_STATE_HOME")) return *xdg + "/prisn";
  if (auto home = Env("HOME")) return *home + "/.local/state/prisn";
  return Fail(ErrorCode::kInvalid, "neither XDG_STATE_HOME nor HOME is set; pass --state-dir");
}

std::optional<std::string> UserContextPath() {
  if (auto xdg = Env("XDG_CONFIG_HOME")) return *xdg + "/prisn/context.json";
  if (auto home = Env("HOME")) return *home + "/.config/prisn/context.json";
  return std::nullopt;
}

StatePaths PathsFor(const std::string& state_dir) {
  StatePaths p;
  p.dir = state_dir;
  p.db = state_dir + "/prisn.db";
  p.key = state_dir + "/secret.key";
  p.pid = state_dir + "/prisn.pid";
  p.context = state_dir + "/context.json";
  p.log_dir = state_dir + "/logs";
  p.log_file = p.log_dir + "/prisn.log";
  return p;
}

Result<StateDirChoice> ChooseStateDir(const std::string& flag_value) {
  std::string dir = flag_value;
  bool is_default = false;
  if (dir.empty()) {
    if (auto env = Env("PRISN_STATE_DIR")) dir = *env;
  }
  if (dir.empty()) {
    auto def = DefaultStateDir();
    if (!def) return std::unexpected(def.error());
    dir = *def;
    is_default = true;
  }
  std::error_code ec;
  auto absolute = std::filesystem::absolute(dir, ec);
  if (ec)
    return Fail(ErrorCode::kInvalid, "cannot make the state directory absolute: " + ec.message(),
                dir);
  return StateDirChoice{absolute.lexically_normal().string(), is_default};
}

std::string ListenAddress::ToString() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<ListenAddress> ParseListen(std::string_view text) {
  auto bad = [&](std::string why) {
    return Fail(ErrorCode::kInvalid,
                why + " (expected HOST:PORT, e.g. 127.0.0.1:7373 or [::1]:7373)",
                std::string(text));
  };
  ListenAddress out;
  std::string_view port_text;
  if (text.starts_with('[')) {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("unbalanced [ ]");
    }
    out.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("no port");
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (out.host.empty()) out.host = "127.0.0.1";
  }
  unsigned char buf[sizeof(struct in6_addr)];
  bool v4 = ::inet_pton(AF_INET, out.host.c_str(), buf) == 1;
  bool v6 = ::inet_pton(AF_INET6, out.host.c_str(), buf) == 1;
  if (!v4 && !v6) return bad("the host must be a numeric IP address");
  int port = -1;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return bad("the port must be a number from 0 to 65535");
  }
  out.port = port;
  return out;
}

Result<StateDirState> CheckStateDir(const StatePaths& paths) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(paths.dir, ec)) {
    if (ec) return Fail(ErrorCode::kIo, "cannot read the state directory: " + ec.message(), paths.dir);
    return StateDirState{true};
  }
  // Everything prisn made here but what an early failed start leaves.
  std::vector<std::string> history;
  fs::directory_iterator it(paths.dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name == "prisn.pid") continue;
    if (name == "logs") {
      fs::directory_iterator logs(it->path(), ec), logs_end;
      for (; !ec && logs != logs_end; logs.increment(ec)) {
        std::string entry = logs->path().filename().string();
        if (entry != "prisn.log") history.push_back("logs/" + entry);
      }
      if (ec) break;
      continue;
    }
    // Not envs/, run/ or resolv.conf: caches and runtime files every start
    // makes afresh, a first start that failed late included.
    static const std::vector<std::string> kMarkers = {
        "prisn.db", "prisn.db-wal", "prisn.db-shm", "secret.key", "context.json", "sources",
        "uids"};
    if (std::find(kMarkers.begin(), kMarkers.end(), name) != kMarkers.end())
      history.push_back(name);
  }
  if (ec) return Fail(ErrorCode::kIo, "cannot read the state directory: " + ec.message(), paths.dir);
  if (history.empty()) return StateDirState{true};
  std::sort(history.begin(), history.end());
  std::string found;
  for (const std::string& h : history) found += (found.empty() ? "" : ", ") + h;

  struct stat db {};
  bool db_present = ::stat(paths.db.c_str(), &db) == 0;
  if (!db_present || db.st_size == 0) {
    return Fail(ErrorCode::kNotFound,
                "the state directory has history (" + found + ") but its database prisn.db " +
                    (db_present ? "is empty (0 bytes)" : "is missing") +
                    ": starting would make a fresh install over it, with a new admin token and "
                    "none of its objects. Restore prisn.db (with prisn.db-wal if it was there) "
                    "from a backup copy of the state directory; or, to really start over, move "
                    "the whole state directory away and start again",
                paths.dir);
  }
  struct stat key {};
  if (::stat(paths.key.c_str(), &key) != 0) {
    return Fail(ErrorCode::kNotFound,
                "the state directory holds a database but its secret key secret.key is missing: "
                "a new key could open none of the Secrets stored in prisn.db. Restore secret.key "
                "from a backup copy of the state directory (the key this database was written "
                "with); or, to really start over, move the whole state directory away and start "
                "again",
                paths.dir);
  }
  return StateDirState{false};
}

Status MakeDirs(const std::string& dir, int mode) {
  std::error_code ec;
  std::filesystem::path path(dir);
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec)
    return Fail(ErrorCode::kIo,
                "cannot create " + path.parent_path().string() + ": " + ec.message());
  if (::mkdir(dir.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
    return std::unexpected(ErrnoError("mkdir " + dir, errno));
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return std::unexpected(ErrnoError("stat " + dir, errno));
  if (!S_ISDIR(st.st_mode)) return Fail(ErrorCode::kInvalid, "exists and is not a directory", dir);
  return {};
}

}  // namespace prisn::server
