// A C string as a JSON string literal, for the test tools' output. Control characters are \u escaped;
// bytes past ASCII are escaped one by one (\u00XX, when the test reads bytes) or passed through (UTF-8 text).
#pragma once
#include <cstdio>
#include <string>

namespace tsrun_tools {

inline std::string json_quote(const char* s, bool escape_non_ascii) {
  std::string o = "\"";
  for (const char* p = s; p && *p; p++) {
    unsigned char c = static_cast<unsigned char>(*p);
    if (c == '"' || c == '\\') {
      o += '\\';
      o += static_cast<char>(c);
    } else if (c < 0x20 || (escape_non_ascii && c >= 0x7f)) {
      char b[8];
      std::snprintf(b, sizeof(b), "\\u%04x", c);
      o += b;
    } else {
      o += static_cast<char>(c);
    }
  }
  return o + "\"";
}

}  // namespace tsrun_tools
