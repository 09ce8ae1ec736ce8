// Thin synchronous wrappers over the Linux file calls Node does not expose (fallocate, posix_fadvise)
// and the ones the store's flush worker calls in its hot loop (fdatasync, pwrite from shared memory).
// Every function throws an Error carrying `code` (e.g. "EIO") and `errno` on failure, like fs does.
#include <napi.h>
#include <cerrno>
#include <cstring>
#include <cstdint>
#include <fcntl.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/file.h>
#include <zlib.h>  // the zlib Node.js links in (its symbols are exported to addons)
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define RMQ_HAVE_CLMUL_CRC 1
#endif
#include <string>

namespace {

const char* ErrnoName(int e) {
  switch (e) {
    case EIO: return "EIO";
    case ENOSPC: return "ENOSPC";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EROFS: return "EROFS";
    case EDQUOT: return "EDQUOT";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EFBIG: return "EFBIG";
    case EINTR: return "EINTR";
    case ENOSYS: return "ENOSYS";
    case ESPIPE: return "ESPIPE";
    case ENOLCK: return "ENOLCK";
    default: return "EUNKNOWN";
  }
}

void ThrowErrno(Napi::Env env, const char* syscall, int e) {
  std::string msg = std::string(ErrnoName(e)) + ": " + std::strerror(e) + ", " + syscall;
  napi_value m, obj;
  napi_create_string_utf8(env, msg.c_str(), msg.size(), &m);
  napi_create_error(env, nullptr, m, &obj);
  Napi::Object o(env, obj);
  o.Set("code", Napi::String::New(env, ErrnoName(e)));
  o.Set("errno", Napi::Number::New(env, -e));
  o.Set("syscall", Napi::String::New(env, syscall));
  napi_throw(env, obj);
}

bool ArgInt(const Napi::CallbackInfo& info, size_t i, int64_t* out) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    Napi::TypeError::New(info.Env(), "expected a number argument").ThrowAsJavaScriptException();
    return false;
  }
  *out = info[i].As<Napi::Number>().Int64Value();
  return true;
}

Napi::Value Fdatasync(const Napi::CallbackInfo& info) {
  int64_t fd;
  if (!ArgInt(info, 0, &fd)) return info.Env().Undefined();
  int r;
  do { r = ::fdatasync(static_cast<int>(fd)); } while (r != 0 && errno == EINTR);
  if (r != 0) ThrowErrno(info.Env(), "fdatasync", errno);
  return info.Env().Undefined();
}

Napi::Value Fsync(const Napi::CallbackInfo& info) {
  int64_t fd;
  if (!ArgInt(info, 0, &fd)) return info.Env().Undefined();
  int r;
  do { r = ::fsync(static_cast<int>(fd)); } while (r != 0 && errno == EINTR);
  if (r != 0) ThrowErrno(info.Env(), "fsync", errno);
  return info.Env().Undefined();
}

// fallocate(fd, offset, length): reserve blocks so a later write cannot fail with ENOSPC halfway.
// Mode 0 (extends the file size). Falls back to posix_fallocate when the FS lacks fallocate.
Napi::Value Fallocate(const Napi::CallbackInfo& info) {
  int64_t fd, off, len;
  if (!ArgInt(info, 0, &fd) || !ArgInt(info, 1, &off) || !ArgInt(info, 2, &len)) return info.Env().Undefined();
  int r;
  do { r = ::fallocate(static_cast<int>(fd), 0, static_cast<off_t>(off), static_cast<off_t>(len)); } while (r != 0 && errno == EINTR);
  if (r != 0 && errno == EOPNOTSUPP) {
    int pr = ::posix_fallocate(static_cast<int>(fd), static_cast<off_t>(off), static_cast<off_t>(len));
    if (pr != 0) { ThrowErrno(info.Env(), "posix_fallocate", pr); return info.Env().Undefined(); }
    return info.Env().Undefined();
  }
  if (r != 0) ThrowErrno(info.Env(), "fallocate", errno);
  return info.Env().Undefined();
}

// fadvise(fd, offset, length, advice): 0 NORMAL, 1 RANDOM, 2 SEQUENTIAL, 3 WILLNEED, 4 DONTNEED, 5 NOREUSE.
Napi::Value Fadvise(const Napi::CallbackInfo& info) {
  int64_t fd, off, len, advice;
  if (!ArgInt(info, 0, &fd) || !ArgInt(info, 1, &off) || !ArgInt(info, 2, &len) || !ArgInt(info, 3, &advice))
    return info.Env().Undefined();
  static const int kAdvice[] = {POSIX_FADV_NORMAL, POSIX_FADV_RANDOM, POSIX_FADV_SEQUENTIAL,
                                POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
  if (advice < 0 || advice > 5) { Napi::RangeError::New(info.Env(), "advice 0..5").ThrowAsJavaScriptException(); return info.Env().Undefined(); }
  int r = ::posix_fadvise(static_cast<int>(fd), static_cast<off_t>(off), static_cast<off_t>(len), kAdvice[advice]);
  if (r != 0) ThrowErrno(info.Env(), "posix_fadvise", r);
  return info.Env().Undefined();
}

// pwrite(fd, typedArray, byteOffset, length, position) -> bytes written (loops over short writes).
// Accepts views over SharedArrayBuffer without copying.
Napi::Value Pwrite(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd, off, len, pos;
  if (!ArgInt(info, 0, &fd)) return env.Undefined();
  if (info.Length() < 2 || !info[1].IsTypedArray()) { Napi::TypeError::New(env, "expected a typed array").ThrowAsJavaScriptException(); return env.Undefined(); }
  if (!ArgInt(info, 2, &off) || !ArgInt(info, 3, &len) || !ArgInt(info, 4, &pos)) return env.Undefined();
  // napi_get_typedarray_info gives the data pointer for SharedArrayBuffer views too.
  napi_typedarray_type type;
  size_t count;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, info[1], &type, &count, &data, nullptr, nullptr) != napi_ok || data == nullptr) {
    Napi::TypeError::New(env, "cannot read the typed array").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  size_t avail = info[1].As<Napi::TypedArray>().ByteLength();
  if (off < 0 || len < 0 || static_cast<size_t>(off + len) > avail) { Napi::RangeError::New(env, "range outside the array").ThrowAsJavaScriptException(); return env.Undefined(); }
  const uint8_t* base = static_cast<const uint8_t*>(data) + off;
  int64_t done = 0;
  while (done < len) {
    ssize_t w = ::pwrite(static_cast<int>(fd), base + done, static_cast<size_t>(len - done), static_cast<off_t>(pos + done));
    if (w < 0) {
      if (errno == EINTR) continue;
      ThrowErrno(env, "pwrite", errno);
      return env.Undefined();
    }
    if (w == 0) { ThrowErrno(env, "pwrite", EIO); return env.Undefined(); }
    done += w;
  }
  return Napi::Number::New(env, static_cast<double>(done));
}

bool TypedArrayBytes(napi_env env, napi_value v, uint8_t** data, size_t* length) {
  napi_typedarray_type type;
  size_t count;
  void* p = nullptr;
  napi_value ab;
  size_t byteOffset;
  if (napi_get_typedarray_info(env, v, &type, &count, &p, &ab, &byteOffset) != napi_ok) return false;
  size_t elem = 1;
  switch (type) {
    case napi_int16_array: case napi_uint16_array: elem = 2; break;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
    default: elem = 1;
  }
  *data = static_cast<uint8_t*>(p);
  *length = count * elem;
  return true;
}

// copy(dst, dstOffset, src, srcOffset, length): memcpy between typed arrays. V8 copies into a
// SharedArrayBuffer byte by byte (relaxed atomics); the commit log encodes every body into one.
Napi::Value Copy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t *dst, *src;
  size_t dstLen, srcLen;
  if (info.Length() < 5 || !TypedArrayBytes(env, info[0], &dst, &dstLen) || !TypedArrayBytes(env, info[2], &src, &srcLen)) {
    Napi::TypeError::New(env, "copy(dst, dstOffset, src, srcOffset, length)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int64_t dOff = info[1].As<Napi::Number>().Int64Value();
  int64_t sOff = info[3].As<Napi::Number>().Int64Value();
  int64_t len = info[4].As<Napi::Number>().Int64Value();
  if (dOff < 0 || sOff < 0 || len < 0 || static_cast<size_t>(dOff + len) > dstLen || static_cast<size_t>(sOff + len) > srcLen) {
    Napi::RangeError::New(env, "copy range outside an array").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::memmove(dst + dOff, src + sOff, static_cast<size_t>(len));
  return env.Undefined();
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

// Backs [p, p + len) now, in one call, instead of one page fault per 4 KiB on first write (expensive
// in VMs). huge: ask for transparent huge pages first. true when the kernel populated the range
// (MADV_POPULATE_WRITE), false when it fell back to touching every page.
bool PrefaultRange(uint8_t* p, size_t len, bool huge) {
  const uintptr_t page = 4096;
  uintptr_t start = (reinterpret_cast<uintptr_t>(p) + page - 1) & ~(page - 1);
  uintptr_t end = (reinterpret_cast<uintptr_t>(p) + len) & ~(page - 1);
  if (end <= start) return false;
  if (huge) {
    const uintptr_t hp = 2 * 1024 * 1024;
    uintptr_t hs = (start + hp - 1) & ~(hp - 1);
    uintptr_t he = end & ~(hp - 1);
    if (he > hs) ::madvise(reinterpret_cast<void*>(hs), he - hs, MADV_HUGEPAGE);
  }
  if (::madvise(reinterpret_cast<void*>(start), end - start, MADV_POPULATE_WRITE) == 0) return true;
  volatile uint8_t* q = p;
  for (size_t i = 0; i < len; i += page) q[i] = q[i];
  return false;
}

// prefault(typedArray, huge): PrefaultRange on the calling thread.
Napi::Value Prefault(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* p;
  size_t len;
  if (info.Length() < 1 || !TypedArrayBytes(env, info[0], &p, &len)) {
    Napi::TypeError::New(env, "prefault(typedArray, huge)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  bool huge = info.Length() > 1 && info[1].ToBoolean().Value();
  return Napi::Boolean::New(env, PrefaultRange(p, len, huge));
}

// The work of prefaultAsync on a libuv pool thread; holds the array until the callback has run.
class PrefaultWork : public Napi::AsyncWorker {
 public:
  PrefaultWork(Napi::Function cb, Napi::Object array, uint8_t* p, size_t len, bool huge)
      : Napi::AsyncWorker(cb, "rmq:prefault"), array_(Napi::Persistent(array)), p_(p), len_(len), huge_(huge) {}
  void Execute() override { populated_ = PrefaultRange(p_, len_, huge_); }
  void OnOK() override { Callback().Call({Napi::Boolean::New(Env(), populated_)}); }

 private:
  Napi::ObjectReference array_;
  uint8_t* p_;
  size_t len_;
  bool huge_;
  bool populated_ = false;
};

// prefaultAsync(typedArray, huge, callback): PrefaultRange on a pool thread, then callback(populated)
// on this thread. The caller must not touch the memory before the callback (nothing else writes it).
Napi::Value PrefaultAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* p;
  size_t len;
  if (info.Length() < 3 || !TypedArrayBytes(env, info[0], &p, &len) || !info[2].IsFunction()) {
    Napi::TypeError::New(env, "prefaultAsync(typedArray, huge, callback)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto* work = new PrefaultWork(info[2].As<Napi::Function>(), info[0].As<Napi::Object>(), p, len, info[1].ToBoolean().Value());
  work->Queue();
  return env.Undefined();
}

// CRC-32 (zlib's: reflected polynomial 0xEDB88320, pre- and post-inverted) by carry-less multiplication,
// after Intel's white paper "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ Instruction"
// (Gopal et al., 2009): fold 64 bytes a step in four 128-bit lanes, fold the lanes into one, then a
// Barrett reduction to 32 bits. zlib's table-driven crc32 (the one Node links) does ~2.7 GB/s here;
// this does several times that, which is a few hundred ns of the append path per 1 KiB message.
// x86-64 with PCLMULQDQ and SSE4.1 only (checked at run time); zlib's crc32 everywhere else.
#ifdef RMQ_HAVE_CLMUL_CRC
// one folding step: x (128 bits, 4 x 32 bytes ahead) times the two constants of k, plus the next 16 bytes
__attribute__((target("pclmul,sse4.1")))
inline __m128i Fold(__m128i x, __m128i k, __m128i next) {
  __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
  __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

__attribute__((target("pclmul,sse4.1")))
uint32_t Crc32Clmul(uint32_t crc, const uint8_t* p, size_t len) {
  // len >= 64 here; crc is the running (inverted) state, as zlib keeps it internally
  const __m128i k1k2 = _mm_set_epi64x(0x1c6e41596LL, 0x154442bd4LL);  // x^(4*128+32), x^(4*128-32) mod P
  const __m128i k3k4 = _mm_set_epi64x(0x0ccaa009eLL, 0x1751997d0LL);  // x^(128+32), x^(128-32) mod P
  const __m128i k5 = _mm_set_epi64x(0, 0x163cd6124LL);                // x^64 mod P
  const __m128i poly = _mm_set_epi64x(0x1f7011641LL, 0x1db710641LL);  // mu (floor(x^64 / P)), P
  const __m128i mask32 = _mm_set_epi32(0, 0, 0, -1);
  __m128i x1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  __m128i x2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
  __m128i x3 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 32));
  __m128i x4 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 48));
  x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128(static_cast<int>(crc)));
  p += 64; len -= 64;
  while (len >= 64) {
    x1 = Fold(x1, k1k2, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    x2 = Fold(x2, k1k2, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16)));
    x3 = Fold(x3, k1k2, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 32)));
    x4 = Fold(x4, k1k2, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 48)));
    p += 64; len -= 64;
  }
  x1 = Fold(x1, k3k4, x2);
  x1 = Fold(x1, k3k4, x3);
  x1 = Fold(x1, k3k4, x4);
  while (len >= 16) {
    x1 = Fold(x1, k3k4, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    p += 16; len -= 16;
  }
  // 128 -> 64 bits (appending 32 zero bits), then 64 -> 32 by Barrett reduction
  __m128i t = _mm_clmulepi64_si128(x1, k3k4, 0x10);  // x1.lo * k3k4.hi
  x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), t);
  t = _mm_clmulepi64_si128(_mm_and_si128(x1, mask32), k5, 0x00);
  x1 = _mm_xor_si128(_mm_srli_si128(x1, 4), t);
  t = _mm_clmulepi64_si128(_mm_and_si128(x1, mask32), poly, 0x10);
  t = _mm_clmulepi64_si128(_mm_and_si128(t, mask32), poly, 0x00);
  crc = static_cast<uint32_t>(_mm_extract_epi32(_mm_xor_si128(x1, t), 1));
  // the last len (< 16) bytes through zlib, which takes the state un-inverted
  if (len > 0) crc = ~static_cast<uint32_t>(::crc32(~crc, p, static_cast<uInt>(len)));
  return crc;
}

bool ClmulSupported() {
  static const bool ok = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return ok;
}
#endif

uint32_t ZlibCrc32(const uint8_t* p, size_t len) {
  return static_cast<uint32_t>(::crc32(::crc32(0L, Z_NULL, 0), p, static_cast<uInt>(len)));
}

// zlib's crc32(0, p, len) (RocketMQ masks the result to 31 bits).
uint32_t Crc32(const uint8_t* p, size_t len) {
#ifdef RMQ_HAVE_CLMUL_CRC
  if (len >= 64 && ClmulSupported()) return ~Crc32Clmul(0xFFFFFFFFu, p, len);
#endif
  return ZlibCrc32(p, len);
}

// crc32(src[, useZlib]): zlib's CRC-32 of src; useZlib true forces zlib's own code (tests compare the two).
Napi::Value Crc32Js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* src;
  size_t srcLen;
  if (info.Length() < 1 || !TypedArrayBytes(env, info[0], &src, &srcLen)) {
    Napi::TypeError::New(env, "crc32(typedArray[, useZlib])").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint32_t crc = info.Length() > 1 && info[1].ToBoolean().Value() ? ZlibCrc32(src, srcLen) : Crc32(src, srcLen);
  return Napi::Number::New(env, static_cast<double>(crc));
}

// copyCrc(dst, dstOffset, src): copies all of src into dst at dstOffset and returns
// CRC32(src) & 0x7FFFFFFF, RocketMQ's body CRC: one pass over the body for the append path.
Napi::Value CopyCrc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t *dst, *src;
  size_t dstLen, srcLen;
  if (info.Length() < 3 || !TypedArrayBytes(env, info[0], &dst, &dstLen) || !TypedArrayBytes(env, info[2], &src, &srcLen)) {
    Napi::TypeError::New(env, "copyCrc(dst, dstOffset, src)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int64_t dOff = info[1].As<Napi::Number>().Int64Value();
  if (dOff < 0 || static_cast<size_t>(dOff) + srcLen > dstLen) {
    Napi::RangeError::New(env, "copy range outside the destination").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::memcpy(dst + dOff, src, srcLen);
  return Napi::Number::New(env, static_cast<double>(Crc32(src, srcLen) & 0x7FFFFFFFUL));
}

// flock(fd): exclusive, non-blocking flock(2). true when taken, false when another open file
// description holds it (EWOULDBLOCK); throws on any other error. Released when the fd is closed.
Napi::Value Flock(const Napi::CallbackInfo& info) {
  int64_t fd;
  if (!ArgInt(info, 0, &fd)) return info.Env().Undefined();
  int r;
  do { r = ::flock(static_cast<int>(fd), LOCK_EX | LOCK_NB); } while (r != 0 && errno == EINTR);
  if (r == 0) return Napi::Boolean::New(info.Env(), true);
  if (errno == EWOULDBLOCK) return Napi::Boolean::New(info.Env(), false);
  ThrowErrno(info.Env(), "flock", errno);
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("flock", Napi::Function::New(env, Flock, "flock"));
  exports.Set("copyCrc", Napi::Function::New(env, CopyCrc, "copyCrc"));
  exports.Set("crc32", Napi::Function::New(env, Crc32Js, "crc32"));
  exports.Set("prefault", Napi::Function::New(env, Prefault, "prefault"));
  exports.Set("prefaultAsync", Napi::Function::New(env, PrefaultAsync, "prefaultAsync"));
  exports.Set("copy", Napi::Function::New(env, Copy, "copy"));
  exports.Set("fdatasync", Napi::Function::New(env, Fdatasync, "fdatasync"));
  exports.Set("fsync", Napi::Function::New(env, Fsync, "fsync"));
  exports.Set("fallocate", Napi::Function::New(env, Fallocate, "fallocate"));
  exports.Set("fadvise", Napi::Function::New(env, Fadvise, "fadvise"));
  exports.Set("pwrite", Napi::Function::New(env, Pwrite, "pwrite"));
  return exports;
}

}  // namespace

NODE_API_MODULE(rmq_native, Init)
