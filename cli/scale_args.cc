#include "cli/scale_args.h"

#include <fmt/core.h>

#include <charconv>
#include <cmath>

#include "api/kinds.h"

namespace prisn::cli {

Result<ScaleRequestArgs> ParseScaleWords(const std::vector<std::string>& words,
                                         const ScaleArgs& args) {
  constexpr const char* kUsage = "say how: `prisn scale NAME N`, `--add N` or `--multiply F`";
  if (words.empty()) return Fail(ErrorCode::kInvalid, "name the deployment to scale");
  ScaleRequestArgs out;
  out.name = words[0];
  if (auto slash = out.name.find('/'); slash != std::string::npos) {
    auto kind = ResolveKind(out.name.substr(0, slash));
    if (!kind) return std::unexpected(kind.error());
    if (kind->kind != "Deployment") {
      return Fail(ErrorCode::kInvalid, "only deployments scale", std::string(kind->singular));
    }
    out.name = out.name.substr(slash + 1);
  }
  if (out.name.empty()) return Fail(ErrorCode::kInvalid, "name the deployment to scale");
  int given = (words.size() > 1) + args.add.has_value() + args.multiply.has_value();
  if (given != 1) {
    return Fail(ErrorCode::kInvalid,
                given == 0 ? kUsage : "give only one of N, --add and --multiply");
  }
  if (words.size() > 1) {
    const std::string& n = words[1];
    long long count = 0;
    auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), count);
    if (ec != std::errc() || end != n.data() + n.size() || count < 0) {
      return Fail(ErrorCode::kInvalid, "the replica count must be a whole number, 0 or more", n);
    }
    out.body.replicas = count;
  } else if (args.add) {
    out.body.add = *args.add;
  } else {
    if (!std::isfinite(*args.multiply) || *args.multiply < 0) {
      return Fail(ErrorCode::kInvalid, "--multiply takes a factor of 0 or more",
                  fmt::format("{}", *args.multiply));
    }
    out.body.multiply = *args.multiply;
  }
  return out;
}

std::string ScaleText(const std::string& name, long long previous, long long replicas) {
  if (previous == replicas) {
    return fmt::format("deployment/{} already has {} replica{}\n", name, replicas,
                       replicas == 1 ? "" : "s");
  }
  return fmt::format("deployment/{} scaled from {} to {}\n", name, previous, replicas);
}

}  // namespace prisn::cli
