// Reading DoIP messages off a byte stream (TCP or TLS): the header, its
// checks, then the payload. Shared by the tester's connection and the
// simulator's entity.
#pragma once

#include <variant>

#include "sovd/common/asio.h"
#include "sovd/doip/byte_stream.h"
#include "sovd/doip/doip_message.h"

namespace pharos::sovd::doip {

// A message, or a header the receiver must NACK (and, but for an unknown
// payload type, close the socket after: a bad pattern or length cannot be
// resynchronised, and a too-large payload is not worth reading to skip).
struct ReadResult {
  std::variant<Message, HeaderError> value;
  bool close = false;  // after the NACK
};

// Throws boost::system::system_error on a socket error or EOF.
inline awaitable<ReadResult> ReadMessage(ByteStream& stream, uint32_t max_payload) {
  uint8_t head[kHeaderSize];
  co_await stream.Read(asio::buffer(head));
  auto header = DecodeHeader(head, max_payload);
  if (auto* error = std::get_if<HeaderError>(&header)) {
    // An unknown type of an acceptable length: skip its payload so the
    // next header lines up (ISO 13400-2 figure 9).
    uint32_t length = static_cast<uint32_t>(head[4]) << 24 | head[5] << 16 | head[6] << 8 | head[7];
    if (error->nack != HeaderNack::kUnknownPayloadType || length > max_payload) {
      co_return ReadResult{*error, true};
    }
    Bytes discard(std::min<uint32_t>(length, 65536));
    while (length > 0) {
      size_t n = std::min<size_t>(length, discard.size());
      co_await stream.Read(asio::buffer(discard.data(), n));
      length -= static_cast<uint32_t>(n);
    }
    co_return ReadResult{*error, false};
  }
  const Header& h = std::get<Header>(header);
  Bytes payload(h.payload_length);
  if (!payload.empty()) co_await stream.Read(asio::buffer(payload));
  absl::StatusOr<Message> message = DecodePayload(h.type, payload);
  if (!message.ok()) {
    co_return ReadResult{
        HeaderError{HeaderNack::kInvalidPayloadLength, std::string(message.status().message())},
        true};
  }
  co_return ReadResult{std::move(*message), false};
}

}  // namespace pharos::sovd::doip
