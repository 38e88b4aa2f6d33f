#include "executor/user.h"

#include <grp.h>
#include <pwd.h>

#include <charconv>
#include <optional>
#include <vector>

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

}  // namespace

Result<RunAs> ResolveRunAs(std::string_view spec) {
  std::vector<char> buf;
  RunAs out;
  if (spec.empty()) {
    if (auto pw = LookupUser("prisn", buf)) {
      out = RunAs{pw->pw_uid, pw->pw_gid, pw->pw_name};
    } else {
      out = RunAs{65534, 65534, "nobody"};
    }
  } else {
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
  return out;
}

}  // namespace prisn::executor
