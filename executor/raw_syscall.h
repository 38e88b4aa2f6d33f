#pragma once
// System calls without libc, for code that runs in a clone child sharing the
// daemon's memory (CLONE_VM). Such a child must not touch errno (it lives in
// the spawning thread's TLS), must not go through sanitizer interceptors, and
// must not use glibc's set*id wrappers (they signal every thread of the
// process glibc believes it is: the daemon's). A call returns the kernel's
// result: >= 0 on success, -errno on failure.

#include <sys/syscall.h>

namespace prisn::executor::sys {

#define PRISN_CHILD_FN __attribute__((no_sanitize("address", "undefined", "thread")))

#if defined(__x86_64__)
PRISN_CHILD_FN inline long Call6(long n, long a, long b, long c, long d, long e, long f) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

// clone(2) onto `stack_top` (16-byte aligned): the child runs fn(arg) there
// and exits with its result; the parent gets the child's pid or -errno.
// Written out because glibc's clone() is intercepted by sanitizers, which
// then treat the child as a fork of the whole process. With CLONE_PIDFD the
// pidfd lands in *pidfd.
PRISN_CHILD_FN inline long Clone(unsigned long flags, void* stack_top, int* pidfd, int (*fn)(void*),
                                 void* arg) {
  void** sp = static_cast<void**>(stack_top);
  *--sp = arg;
  *--sp = reinterpret_cast<void*>(fn);
  long ret;
  register long r10 __asm__("r10") = 0;  // child_tid
  register long r8 __asm__("r8") = 0;    // tls
  __asm__ volatile(
      "syscall\n\t"
      "test %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      "xor %%ebp, %%ebp\n\t"  // the child, on the new stack
      "pop %%rax\n\t"
      "pop %%rdi\n\t"
      "call *%%rax\n\t"
      "mov %%eax, %%edi\n\t"
      "mov %[exit], %%eax\n\t"
      "syscall\n\t"
      "hlt\n\t"
      "1:\n\t"
      : "=a"(ret)
      : "a"(SYS_clone), "D"(flags), "S"(sp), "d"(pidfd), "r"(r10), "r"(r8), [exit] "i"(SYS_exit)
      : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
PRISN_CHILD_FN inline long Call6(long n, long a, long b, long c, long d, long e, long f) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc 0"
                   : "+r"(x0)
                   : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                   : "memory");
  return x0;
}

PRISN_CHILD_FN inline long Clone(unsigned long flags, void* stack_top, int* pidfd, int (*fn)(void*),
                                 void* arg) {
  void** sp = static_cast<void**>(stack_top);
  *--sp = arg;
  *--sp = reinterpret_cast<void*>(fn);
  register long x8 __asm__("x8") = SYS_clone;
  register long x0 __asm__("x0") = static_cast<long>(flags);
  register long x1 __asm__("x1") = reinterpret_cast<long>(sp);
  register long x2 __asm__("x2") = reinterpret_cast<long>(pidfd);  // parent_tid
  register long x3 __asm__("x3") = 0;                                // tls
  register long x4 __asm__("x4") = 0;                                // child_tid
  __asm__ volatile(
      "svc 0\n\t"
      "cbnz x0, 1f\n\t"
      "mov x29, xzr\n\t"  // the child, on the new stack
      "ldp x9, x0, [sp], #16\n\t"
      "blr x9\n\t"
      "mov x8, %[exit]\n\t"
      "svc 0\n\t"
      "1:\n\t"
      : "+r"(x0)
      : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), [exit] "i"(SYS_exit)
      : "x9", "x30", "memory");
  return x0;
}
#else
#error "prisn's executor supports x86_64 and aarch64"
#endif

template <class A = long, class B = long, class C = long, class D = long, class E = long,
          class F = long>
PRISN_CHILD_FN inline long Call(long n, A a = 0, B b = 0, C c = 0, D d = 0, E e = 0, F f = 0) {
  return Call6(n, (long)a, (long)b, (long)c, (long)d, (long)e, (long)f);
}

}  // namespace prisn::executor::sys
