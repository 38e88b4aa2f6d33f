#include "executor/user.h"

#include <grp.h>
#include <pwd.h>

#include <fmt/format.h>

#include <charconv>
#include <optional>
#include <set>
#include <vector>

#include "util/files.h"

namespace prisn::executor {
namespace {

std::optional<unsigned> ParseId(std::string_view s) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// getpwnam_r / getpwuid_r: thread-safe lookups.
std::optional<passwd> LookupUser(std::string_view name_or_id, std::vector<char>& buf) {
  passwd pw{};
  passwd* out = nullptr;
  buf.resize(16384);
  if (auto id = ParseId(name_or_id)) {
    ::getpwuid_r(*id, &pw, buf.data(), buf.size(), &out);
  } else {
    std::string name(name_or_id);
    ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &out);
  }
  if (out == nullptr) return std::nullopt;
  return pw;
}

std::optional<gid_t> LookupGroup(std::string_view name_or_id) {
  if (auto id = ParseId(name_or_id)) return static_cast<gid_t>(*id);
  group gr{};
  group* out = nullptr;
  std::vector<char> buf(16384);
  std::string name(name_or_id);
  ::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &out);
  if (out == nullptr) return std::nullopt;
  return out->gr_gid;
}

// Whether the host's user or group database has an entry for `id`.
bool KnownToHost(unsigned id) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* pw_out = nullptr;
  ::getpwuid_r(id, &pw, buf.data(), buf.size(), &pw_out);
  if (pw_out != nullptr) return true;
  group gr{};
  group* gr_out = nullptr;
  ::getgrgid_r(id, &gr, buf.data(), buf.size(), &gr_out);
  return gr_out != nullptr;
}

RunAs NamespaceUser(std::string_view ns, uid_t uid) {
  return RunAs{uid, uid, "ns:" + std::string(ns)};
}

std::string Render(const std::map<std::string, uid_t, std::less<>>& table) {
  std::string out =
      "# prisn: the uid (and gid) of each namespace's workloads. Keep this file with the state\n"
      "# directory: a namespace must keep its uid, and two must never share one.\n";
  for (const auto& [ns, uid] : table) out += fmt::format("{} {}\n", uid, ns);
  return out;
}

}  // namespace

Result<RunAs> ResolveRunAs(std::string_view spec) {
  std::vector<char> buf;
  RunAs out;
  if (spec.empty()) {
    return Fail(ErrorCode::kInvalid,
                "no user named; a workload without isolation.user runs as its namespace's user");
  }
  {
    std::string_view user = spec.substr(0, spec.find(':'));
    std::optional<std::string_view> group;
    if (spec.find(':') != std::string_view::npos) group = spec.substr(spec.find(':') + 1);
    if (auto pw = LookupUser(user, buf)) {
      out = RunAs{pw->pw_uid, pw->pw_gid, pw->pw_name};
    } else if (auto id = ParseId(user)) {
      out = RunAs{*id, *id, std::string(user)};
    } else {
      return Fail(ErrorCode::kNotFound,
                  "no such user on this host; name an existing user or a numeric uid",
                  std::string(spec));
    }
    if (group) {
      auto gid = LookupGroup(*group);
      if (!gid) return Fail(ErrorCode::kNotFound, "no such group on this host", std::string(spec));
      out.gid = *gid;
    }
  }
  if (out.uid == 0 || out.gid == 0) {
    return Fail(ErrorCode::kPermission,
                "workloads never run as root at isolation levels 1 and 2; use isolation level 0 "
                "to run as the daemon's user",
                std::string(spec));
  }
  // Naming a namespace's uid would run as that namespace's workloads do.
  for (unsigned id : {static_cast<unsigned>(out.uid), static_cast<unsigned>(out.gid)}) {
    if (id >= kNamespaceUidFirst && id - kNamespaceUidFirst < kNamespaceUidCount) {
      return Fail(ErrorCode::kPermission,
                  fmt::format("ids {}-{} are reserved for prisn's per-namespace users; name "
                              "another user",
                              kNamespaceUidFirst, kNamespaceUidFirst + kNamespaceUidCount - 1),
                  std::string(spec));
    }
  }
  return out;
}

Result<std::unique_ptr<NamespaceUsers>> NamespaceUsers::Open(std::string path, uid_t first,
                                                             uid_t count) {
  std::map<std::string, uid_t, std::less<>> table;
  auto text = ReadFile(path);
  if (!text && text.error().code != ErrorCode::kNotFound) return std::unexpected(text.error());
  if (text) {
    std::set<uid_t> seen;
    size_t pos = 0;
    int line_no = 0;
    while (pos < text->size()) {
      size_t eol = text->find('\n', pos);
      if (eol == std::string::npos) eol = text->size();
      std::string_view line(text->data() + pos, eol - pos);
      pos = eol + 1;
      ++line_no;
      if (line.empty() || line.front() == '#') continue;
      size_t space = line.find(' ');
      auto uid = space == std::string_view::npos ? std::nullopt : ParseId(line.substr(0, space));
      std::string ns = space == std::string_view::npos ? "" : std::string(line.substr(space + 1));
      std::string where = fmt::format("{}:{}", path, line_no);
      if (!uid || ns.empty() || ns.find(' ') != std::string::npos) {
        return Fail(ErrorCode::kInvalid,
                    "the namespace uid table has a line that is not \"UID NAMESPACE\"; restore "
                    "the file from a backup of the state directory",
                    where);
      }
      if (*uid < first || *uid - first >= count) {
        return Fail(ErrorCode::kInvalid,
                    fmt::format("uid {} is outside prisn's range {}-{}; restore the file from a "
                                "backup of the state directory",
                                *uid, first, first + count - 1),
                    where);
      }
      if (!seen.insert(*uid).second || table.contains(ns)) {
        return Fail(ErrorCode::kInvalid,
                    fmt::format("uid {} or namespace {} appears twice; restore the file from a "
                                "backup of the state directory",
                                *uid, ns),
                    where);
      }
      table.emplace(std::move(ns), *uid);
    }
  }
  return std::unique_ptr<NamespaceUsers>(
      new NamespaceUsers(std::move(path), first, count, std::move(table)));
}

NamespaceUsers::NamespaceUsers(std::string path, uid_t first, uid_t count,
                               std::map<std::string, uid_t, std::less<>> table)
    : path_(std::move(path)), first_(first), count_(count), table_(std::move(table)) {}

Result<RunAs> NamespaceUsers::For(std::string_view ns) {
  if (ns.empty() || ns.find_first_of(" \t\r\n") != std::string_view::npos) {
    return Fail(ErrorCode::kInvalid, "a workload's namespace is empty or holds white space",
                std::string(ns));
  }
  return table_.With([&](auto& table) -> Result<RunAs> {
    if (auto it = table.find(ns); it != table.end()) return NamespaceUser(ns, it->second);
    std::set<uid_t> used;
    for (const auto& [name, uid] : table) used.insert(uid);
    for (uid_t i = 0; i < count_; ++i) {
      uid_t uid = first_ + i;
      // A uid the host knows belongs to someone else (a user, a group of the
      // same number): never share it.
      if (used.contains(uid) || KnownToHost(uid)) continue;
      auto next = table;
      next.emplace(std::string(ns), uid);
      // Recorded before any workload runs as it: a crash must not hand it
      // to another namespace at the next start.
      if (auto st = WriteFileAtomic(path_, Render(next), 0600); !st) {
        return Fail(ErrorCode::kUnavailable,
                    "cannot record the namespace's uid: " + st.error().message, path_);
      }
      table = std::move(next);
      return NamespaceUser(ns, uid);
    }
    return Fail(ErrorCode::kUnavailable,
                fmt::format("every uid of prisn's range {}-{} is taken; no new namespace can run "
                            "workloads",
                            first_, first_ + count_ - 1),
                std::string(ns));
  });
}

}  // namespace prisn::executor
