#include "api/codec.h"

#include "util/strings.h"

namespace prisn::api::codec_detail {

std::string Describe(const Json& j) {
  std::string text = j.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

std::optional<std::string_view> Closest(std::string_view word,
                                        const std::vector<std::string_view>& names) {
  std::optional<std::string_view> best;
  std::size_t best_distance = 3;  // more edits than that is another word
  for (std::string_view name : names) {
    std::size_t d = EditDistance(AsciiLower(word), AsciiLower(name));
    if (d < best_distance) {
      best_distance = d;
      best = name;
    }
  }
  return best;
}

Error WrongType(const std::string& path, const char* expected, const Json& j) {
  return Error{
      ErrorCode::kInvalid, fmt::format("{}: expected {}, got {}", path, expected, Describe(j)), {}};
}

}  // namespace prisn::api::codec_detail
