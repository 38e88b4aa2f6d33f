#include "util/error.h"

#include <catch2/catch.hpp>
#include <cerrno>

namespace prisn {

TEST_CASE("ErrnoError maps errno to the error class callers act on") {
  CHECK(ErrnoError("open x", ENOENT).code == ErrorCode::kNotFound);
  CHECK(ErrnoError("open x", EACCES).code == ErrorCode::kPermission);
  CHECK(ErrnoError("lock x", EWOULDBLOCK).code == ErrorCode::kConflict);
  CHECK(ErrnoError("write x", EIO).code == ErrorCode::kIo);
  CHECK(ErrnoError("open /x", ENOENT).message == "open /x: No such file or directory");
}

TEST_CASE("Error::ToString puts the context before the message only when there is one") {
  CHECK(Error{ErrorCode::kInvalid, "bad", ""}.ToString() == "bad");
  CHECK(Error{ErrorCode::kInvalid, "bad", "a.yaml:3:4"}.ToString() == "a.yaml:3:4: bad");
}

}  // namespace prisn
