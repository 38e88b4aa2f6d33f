#pragma once
// The error type every module returns across its boundary: std::expected<T,
// Error>. errno is turned into an Error once, by the wrapper that called the
// system (ErrnoError); library exceptions are caught at the edge of the module
// that uses the library.

#include <expected>
#include <string>
#include <string_view>

namespace prisn {

enum class ErrorCode {
  kInvalid,      // the input is wrong; retrying the same input fails again
  kNotFound,     // the named thing does not exist
  kConflict,     // the state moved or the name is taken
  kIo,           // the system refused a read, write or call
  kUnavailable,  // a peer (server, interpreter, network) is not there
  kPermission,   // not allowed (auth, file mode, namespace scope)
  kTimeout,      // a deadline passed
  kInternal,     // a broken invariant of prisn itself
};

std::string_view ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;  // what went wrong and, where known, what to do next
  std::string context;  // where: "file:line:col", an object key, a path

  // "context: message", or the message alone when there is no context.
  std::string ToString() const;
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> Fail(ErrorCode code, std::string message, std::string context = {}) {
  return std::unexpected(Error{code, std::move(message), std::move(context)});
}

// An Error from errno (captured by the caller right after the failing call).
// `what` names the call and its argument, e.g. "open /var/lib/prisn/db".
Error ErrnoError(std::string_view what, int err);

}  // namespace prisn
