#include "reconciler/source_git_stream.h"

#include <fcntl.h>
#include <git2.h>
#include <git2/sys/stream.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

namespace prisn::reconciler {

using Clock = std::chrono::steady_clock;

namespace {

// Connect limit of sockets opened outside any FetchDeadline.
constexpr auto kDefaultConnect = std::chrono::seconds(30);
// How often a wait looks at the cancel flag.
constexpr auto kSlice = std::chrono::milliseconds(100);

thread_local FetchDeadline* current_deadline = nullptr;

// The first four members have the layout of libgit2's own git_socket_stream
// (src/libgit2/streams/socket.h): its ssh transport reads the socket `s`
// through that layout and hands it to libssh2.
struct TimedStream {
  git_stream parent;
  char* host;
  char* port;
  int s;
  FetchDeadline* owner;  // null: no deadline but the default connect limit
};

void SetNetError(const std::string& message) {
  git_error_set_str(GIT_ERROR_NET, message.c_str());
}

// Waits for a non-blocking connect: 0 when connected, else an errno value
// (ETIMEDOUT at `deadline`, ECANCELED when the fetch stopped).
int AwaitConnect(int fd, Clock::time_point deadline, FetchDeadline* owner) {
  for (;;) {
    auto now = Clock::now();
    if (now >= deadline) return ETIMEDOUT;
    if (owner && owner->Stopped()) return ECANCELED;
    auto wait = std::min<Clock::duration>(deadline - now, kSlice);
    pollfd pfd{fd, POLLOUT, 0};
    int n = ::poll(&pfd, 1,
                   static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) continue;
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
    return err;
  }
}

int StreamConnect(git_stream* stream) {
  auto* st = reinterpret_cast<TimedStream*>(stream);
  FetchDeadline* owner = st->owner;
  std::string where = std::string(st->host) + ":" + st->port;
  if (owner && owner->Stopped()) {
    SetNetError("not connecting to " + where + ": the fetch's deadline passed");
    return -1;
  }
  Clock::time_point deadline = owner ? owner->ConnectDeadline() : Clock::now() + kDefaultConnect;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* info = nullptr;
  if (int rc = ::getaddrinfo(st->host, st->port, &hints, &info); rc != 0) {
    SetNetError("failed to resolve address for " + std::string(st->host) + ": " +
                ::gai_strerror(rc));
    return -1;
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(info, ::freeaddrinfo);
  std::string last = "no address";
  for (addrinfo* p = info; p != nullptr; p = p->ai_next) {
    int fd = ::socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, p->ai_protocol);
    if (fd < 0) {
      last = std::strerror(errno);
      continue;
    }
    int err = ::connect(fd, p->ai_addr, p->ai_addrlen) == 0 ? 0 : errno;
    if (err == EINPROGRESS) err = AwaitConnect(fd, deadline, owner);
    if (err == 0) {
      // Blocking again: libgit2 and libssh2 expect a blocking socket; the
      // watchdog's shutdown(2) is what ends a read that waits too long.
      int flags = ::fcntl(fd, F_GETFL);
      if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
      if (owner && !owner->Add(fd)) {
        ::close(fd);
        SetNetError("connection to " + where + " dropped: the fetch's deadline passed");
        return -1;
      }
      st->s = fd;
      return 0;
    }
    ::close(fd);
    if (err == ETIMEDOUT && Clock::now() >= deadline) {
      if (owner) owner->NoteConnectExpired();
      SetNetError("connecting to " + where + " timed out");
      return -1;
    }
    if (err == ECANCELED) {
      SetNetError("connecting to " + where + " stopped: the fetch was cancelled or timed out");
      return -1;
    }
    last = std::strerror(err);
  }
  SetNetError("failed to connect to " + where + ": " + last);
  return -1;
}

ssize_t StreamRead(git_stream* stream, void* data, size_t len) {
  auto* st = reinterpret_cast<TimedStream*>(stream);
  for (;;) {
    ssize_t n = ::recv(st->s, data, len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) SetNetError(std::string("error receiving socket data: ") + std::strerror(errno));
    return n;
  }
}

ssize_t StreamWrite(git_stream* stream, const char* data, size_t len, int /*flags*/) {
  auto* st = reinterpret_cast<TimedStream*>(stream);
  for (;;) {
    ssize_t n = ::send(st->s, data, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) SetNetError(std::string("error sending data: ") + std::strerror(errno));
    return n;
  }
}

int StreamClose(git_stream* stream) {
  auto* st = reinterpret_cast<TimedStream*>(stream);
  if (st->s < 0) return 0;
  // Forgotten before it is closed: the watchdog must never shut down a
  // descriptor number another thread has reused.
  if (st->owner) st->owner->Remove(st->s);
  ::close(st->s);
  st->s = -1;
  return 0;
}

void StreamFree(git_stream* stream) {
  auto* st = reinterpret_cast<TimedStream*>(stream);
  std::free(st->host);
  std::free(st->port);
  delete st;
}

int StreamInit(git_stream** out, const char* host, const char* port) {
  auto* st = new TimedStream{};
  st->parent.version = GIT_STREAM_VERSION;
  st->parent.connect = StreamConnect;
  st->parent.read = StreamRead;
  st->parent.write = StreamWrite;
  st->parent.close = StreamClose;
  st->parent.free = StreamFree;
  st->host = ::strdup(host ? host : "");
  st->port = ::strdup(port ? port : "");
  st->s = -1;
  st->owner = FetchDeadline::Current();
  *out = &st->parent;
  return 0;
}

}  // namespace

void InstallGitSocketStream() {
  static std::once_flag once;
  std::call_once(once, [] {
    git_stream_registration registration{};
    registration.version = GIT_STREAM_VERSION;
    registration.init = StreamInit;
    // libgit2 copies the registration.
    git_stream_register(GIT_STREAM_STANDARD, &registration);
  });
}

FetchDeadline::FetchDeadline(std::chrono::milliseconds connect, std::chrono::milliseconds total,
                             const std::atomic<bool>* cancel)
    : connect_(connect),
      total_deadline_(Clock::now() + total),
      cancel_(cancel),
      previous_(current_deadline) {
  current_deadline = this;
  watchdog_ = std::thread([this] { Watch(); });
}

FetchDeadline::~FetchDeadline() {
  {
    MutexLock lock(mu_);
    done_ = true;
  }
  wake_.NotifyAll();
  watchdog_.join();
  current_deadline = previous_;
}

FetchDeadline* FetchDeadline::Current() { return current_deadline; }

Clock::time_point FetchDeadline::ConnectDeadline() const {
  return std::min(Clock::now() + connect_, total_deadline_);
}

bool FetchDeadline::Stopped() const { return expired_.load() || cancelled_.load(); }

bool FetchDeadline::Add(int fd) {
  MutexLock lock(mu_);
  if (Stopped()) return false;
  fds_.insert(fd);
  return true;
}

void FetchDeadline::Remove(int fd) {
  MutexLock lock(mu_);
  fds_.erase(fd);
}

void FetchDeadline::Watch() {
  MutexLock lock(mu_);
  while (!done_) {
    auto now = Clock::now();
    bool cancelled = cancel_ && cancel_->load();
    if (cancelled || now >= total_deadline_) {
      // Set under the lock: Add() after this refuses, so no socket escapes.
      (cancelled ? cancelled_ : expired_).store(true);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
      return;
    }
    auto until = cancel_ ? std::min(total_deadline_, now + kSlice) : total_deadline_;
    wake_.WaitUntil(mu_, until);
  }
}

}  // namespace prisn::reconciler
