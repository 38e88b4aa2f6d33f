#pragma once
// Terminal colours for human output (never in -o json/yaml, nor with
// --no-color or when stdout is not a terminal).

#include <string_view>

namespace prisn::cli {

inline constexpr std::string_view kBold = "\x1b[1m";
inline constexpr std::string_view kRed = "\x1b[31m";
inline constexpr std::string_view kGreen = "\x1b[32m";
inline constexpr std::string_view kYellow = "\x1b[33m";
inline constexpr std::string_view kCyan = "\x1b[36m";
inline constexpr std::string_view kReset = "\x1b[0m";

}  // namespace prisn::cli
