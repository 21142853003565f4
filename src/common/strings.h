// String building without absl::StrCat: Debian's abseil is built with its
// own string_view, which does not accept std::string_view. These take any
// mix of strings, string_views, chars and numbers.
#pragma once

#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace pharos {

namespace strings_internal {

inline void AppendOne(std::string& out, std::string_view s) { out.append(s); }
inline void AppendOne(std::string& out, const char* s) { out.append(s ? s : ""); }
inline void AppendOne(std::string& out, const std::string& s) { out.append(s); }
inline void AppendOne(std::string& out, char c) { out.push_back(c); }
// Any other string-like type (e.g. absl::string_view from Status::message()).
template <typename T>
  requires requires(const T& t) {
    { t.data() } -> std::convertible_to<const char*>;
    { t.size() } -> std::convertible_to<size_t>;
  }
void AppendOne(std::string& out, const T& s) {
  out.append(s.data(), s.size());
}
template <typename T>
  requires(std::is_arithmetic_v<T> && !std::same_as<T, char> && !std::same_as<T, bool>)
void AppendOne(std::string& out, T value) {
  out.append(std::to_string(value));
}

}  // namespace strings_internal

template <typename... Args>
void StrAppend(std::string* out, const Args&... args) {
  (strings_internal::AppendOne(*out, args), ...);
}

template <typename... Args>
std::string StrCat(const Args&... args) {
  std::string out;
  StrAppend(&out, args...);
  return out;
}

template <typename Container>
std::string StrJoin(const Container& parts, std::string_view separator) {
  std::string out;
  bool first = true;
  for (const auto& p : parts) {
    if (!first) out.append(separator);
    strings_internal::AppendOne(out, p);
    first = false;
  }
  return out;
}

}  // namespace pharos
