#include "util/error.h"

#include <cerrno>
#include <cstring>

namespace prisn {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalid: return "invalid";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kPermission: return "permission";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

std::string Error::ToString() const {
  if (context.empty()) return message;
  return context + ": " + message;
}

Error ErrnoError(std::string_view what, int err) {
  ErrorCode code = ErrorCode::kIo;
  if (err == ENOENT) code = ErrorCode::kNotFound;
  if (err == EACCES || err == EPERM) code = ErrorCode::kPermission;
  if (err == EEXIST || err == EBUSY || err == EWOULDBLOCK) code = ErrorCode::kConflict;
  return Error{code, std::string(what) + ": " + std::strerror(err), {}};
}

}  // namespace prisn
