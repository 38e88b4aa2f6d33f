#include "cli/run_body.h"

#include <filesystem>

#include "cli/command_util.h"
#include "util/files.h"

namespace prisn::cli {
namespace {

namespace fs = std::filesystem;

void AddFile(api::RunRequest& body, const std::string& name, const std::string& bytes) {
  if (IsUtf8(bytes)) {
    body.files[name] = bytes;
  } else {
    if (!body.files_base64) body.files_base64 = api::Json::object();
    (*body.files_base64)[name] = Base64(bytes);
  }
}

}  // namespace

Result<std::pair<std::string, std::string>> ParseEnvAssignment(std::string_view text) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return Fail(ErrorCode::kInvalid, "--env takes KEY=VALUE", std::string(text));
  }
  return std::pair{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

Result<std::map<std::string, std::string>> ParseEnvFlags(const std::vector<std::string>& flags) {
  std::map<std::string, std::string> env;
  for (const std::string& f : flags) {
    auto kv = ParseEnvAssignment(f);
    if (!kv) return std::unexpected(kv.error());
    env[kv->first] = kv->second;
  }
  return env;
}

bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
        (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

Result<api::RunRequest> BuildRunBody(const RunFlags& flags) {
  fs::path file(flags.file);
  std::error_code ec;
  auto status = fs::status(file, ec);
  if (ec || !fs::exists(status)) return Fail(ErrorCode::kNotFound, "no such file", flags.file);
  if (fs::is_directory(status)) {
    return Fail(ErrorCode::kInvalid,
                "prisn run takes a script; to run a folder as a service use `prisn deploy`",
                flags.file);
  }
  auto script = ReadFile(flags.file);
  if (!script) return std::unexpected(script.error());
  std::string name = file.filename().string();

  api::RunRequest body;
  body.ns = flags.ns;
  body.name = file.stem().string();
  body.files = api::Json::object();
  AddFile(body, name, *script);
  fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  for (const char* dep : kDependencyFiles) {
    if (name == dep) continue;
    fs::path p = dir / dep;
    if (!fs::is_regular_file(p, ec)) continue;
    auto bytes = ReadFile(p.string());
    if (!bytes) return std::unexpected(bytes.error());
    AddFile(body, dep, *bytes);
  }
  body.entrypoint = name;
  if (!flags.runtime.empty()) body.runtime = flags.runtime;
  body.args = flags.args;
  auto env = ParseEnvFlags(flags.env);
  if (!env) return std::unexpected(env.error());
  body.env = std::move(*env);
  if (!flags.timeout.empty()) body.timeout = flags.timeout;
  if (flags.isolation) body.isolation = *flags.isolation;
  if (!flags.memory.empty()) body.memory = flags.memory;
  if (!flags.cpu.empty()) body.cpu = api::Json(flags.cpu);
  return body;
}

}  // namespace prisn::cli
