#include "stages/publish/record_checksum.h"

#include <openssl/sha.h>

#include <cstdio>

namespace eodclear {

void RecordChecksum::Add(std::string_view record_value) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(record_value.data()), record_value.size(), digest);
  uint64_t head = 0;
  for (int i = 0; i < 8; ++i) head = (head << 8) | digest[i];
  sum_ += head;  // unsigned: wraps modulo 2^64 by definition
  ++count_;
}

std::string RecordChecksum::Hex() const {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(sum_));
  return buf;
}

}  // namespace eodclear
