// ECU description files: what they declare, the DID value codec, and
// errors that name the file, the line and the YAML path.
#include "sovd/ecu/ecu_description.h"

#include <gtest/gtest.h>

#include "sovd/ecu/key_algorithm.h"

namespace pharos::sovd::ecu {
namespace {

TEST(EcuDescription, TheExampleEngineParses) {
  auto ecu = LoadEcuDescription(PHAROS_EXAMPLES_DIR "/sovd/ecus/engine.yaml");
  ASSERT_TRUE(ecu.ok()) << ecu.status();
  EXPECT_EQ(ecu->name, "engine");
  EXPECT_EQ(ecu->logical_address, 0x0010);
  const DidSpec* vin = ecu->FindDid("vin");
  ASSERT_NE(vin, nullptr);
  EXPECT_EQ(vin->id, 0xF190);
  EXPECT_EQ(vin->length, 17u);
  EXPECT_EQ(std::string(vin->initial.begin(), vin->initial.end()), "WPHAROS0SEED00001");
  const DidSpec* coolant = ecu->FindDid(0x0105);
  ASSERT_NE(coolant, nullptr);
  EXPECT_EQ(coolant->initial, Bytes{130}) << "90 degC with offset -40";
  EXPECT_FALSE(coolant->write.has_value());
  const DidSpec* idle = ecu->FindDid("idle_speed_target");
  ASSERT_TRUE(idle && idle->write);
  EXPECT_EQ(idle->write->session, 0x03);
  EXPECT_EQ(idle->write->security_level, 1);
  ASSERT_NE(ecu->FindDtc(0x010100), nullptr);
  EXPECT_EQ(ecu->FindDtc(0x042000)->status, 0x24);
  EXPECT_EQ(ecu->FindRoutine("injector_self_test")->duration_ms, 300u);
  EXPECT_EQ(ecu->FindSecurity(1)->algorithm, "xor");
}

TEST(EcuDescription, ErrorsNameFileLineAndPath) {
  auto ecu = ParseEcuDescription(
      "name: engine\n"
      "logical_address: 0x10\n"
      "dids:\n"
      "  - id: 0xF190\n"
      "    name: vin\n"
      "    type: uint9\n"
      "  - id: 0x10000\n"
      "    name: big\n"
      "    type: uint8\n"
      "dtcs:\n"
      "  - code: X0101\n"
      "colour: red\n",
      "engine.yaml");
  ASSERT_FALSE(ecu.ok());
  std::string m(ecu.status().message());
  EXPECT_NE(m.find("engine.yaml:6: dids[0].type"), std::string::npos) << m;
  EXPECT_NE(m.find("uint9"), std::string::npos) << m;
  EXPECT_NE(m.find("engine.yaml:7: dids[1].id"), std::string::npos) << m;
  EXPECT_NE(m.find("dtcs[0].code"), std::string::npos) << m;
  EXPECT_NE(m.find("colour"), std::string::npos) << m;
}

TEST(EcuDescription, RequiredFieldsAndConsistency) {
  EXPECT_FALSE(ParseEcuDescription("logical_address: 0x10\n", "x.yaml").ok());
  EXPECT_FALSE(ParseEcuDescription("name: a\n", "x.yaml").ok());
  auto bad_snapshot = ParseEcuDescription(
      "name: a\nlogical_address: 1\ndtcs:\n  - code: P0101\n    snapshot: [0x0105]\n", "x.yaml");
  ASSERT_FALSE(bad_snapshot.ok());
  EXPECT_NE(bad_snapshot.status().message().find("0x0105"), std::string::npos);
  auto twice = ParseEcuDescription(
      "name: a\nlogical_address: 1\ndids:\n"
      "  - {id: 1, name: a, type: uint8}\n  - {id: 1, name: b, type: uint8}\n",
      "x.yaml");
  EXPECT_FALSE(twice.ok());
  auto even =
      ParseEcuDescription("name: a\nlogical_address: 1\nsecurity:\n  - level: 2\n", "x.yaml");
  EXPECT_FALSE(even.ok());
  EXPECT_FALSE(ParseEcuDescription("name: [\n", "x.yaml").ok());
}

TEST(EcuDescription, DidCodecScalesAndChecksRanges) {
  DidSpec temp{0x0105, "coolant", DataType::kUint8, 1, 1.0, -40.0, "degC", {}, "", {}};
  auto raw = EncodeDid(temp, PhysicalValue(90.0));
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(*raw, Bytes{130});
  EXPECT_EQ(std::get<double>(*DecodeDid(temp, Bytes{130})), 90.0);
  EXPECT_EQ(EncodeDid(temp, PhysicalValue(300.0)).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_FALSE(EncodeDid(temp, PhysicalValue(std::string("hot"))).ok());
  EXPECT_FALSE(DecodeDid(temp, Bytes{1, 2}).ok());

  DidSpec rpm{0x010C, "rpm", DataType::kUint16, 2, 0.25, 0, "rpm", {}, "", {}};
  EXPECT_EQ(*EncodeDid(rpm, PhysicalValue(800.0)), (Bytes{0x0C, 0x80}));
  DidSpec signed16{1, "t", DataType::kInt16, 2, 0.1, 0, "", {}, "", {}};
  auto neg = EncodeDid(signed16, PhysicalValue(-12.5));
  ASSERT_TRUE(neg.ok());
  EXPECT_EQ(*neg, (Bytes{0xFF, 0x83}));
  EXPECT_NEAR(std::get<double>(*DecodeDid(signed16, *neg)), -12.5, 1e-9);
  DidSpec text{0xF190, "vin", DataType::kAscii, 5, 1, 0, "", {}, "", {}};
  EXPECT_EQ(*EncodeDid(text, PhysicalValue(std::string("AB"))), (Bytes{'A', 'B', ' ', ' ', ' '}));
  EXPECT_EQ(std::get<std::string>(*DecodeDid(text, Bytes{'A', 'B', ' ', 0, 0})), "AB");
  EXPECT_FALSE(EncodeDid(text, PhysicalValue(std::string("TOOLONG"))).ok());
  DidSpec f{2, "f", DataType::kFloat32, 4, 1, 0, "", {}, "", {}};
  EXPECT_FLOAT_EQ(std::get<double>(*DecodeDid(f, *EncodeDid(f, PhysicalValue(3.5)))), 3.5);
}

TEST(EcuDescription, Numbers) {
  EXPECT_EQ(ParseNumber("0x10"), 16u);
  EXPECT_EQ(ParseNumber("16"), 16u);
  EXPECT_EQ(ParseNumber("0XfF"), 255u);
  EXPECT_FALSE(ParseNumber("0x").has_value());
  EXPECT_FALSE(ParseNumber("-1").has_value());
  EXPECT_FALSE(ParseNumber("12a").has_value());
  EXPECT_FALSE(ParseNumber("").has_value());
}

TEST(KeyAlgorithm, XorAddAndRegistered) {
  SecurityLevel xor_level{1, "xor", {0x5A, 0x3C}, "", 4};
  auto key = ComputeKey(xor_level, Bytes{0x00, 0xFF, 0x5A, 0x3C});
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, (Bytes{0x5A, 0xC3, 0x00, 0x00}));
  SecurityLevel add{1, "add", {0x00, 0x01}, "", 2};
  EXPECT_EQ(*ComputeKey(add, Bytes{0x00, 0xFF}), (Bytes{0x01, 0x00})) << "with carry";
  SecurityLevel unknown{1, "oem-secret", {}, "", 4};
  EXPECT_EQ(ComputeKey(unknown, Bytes{1}).status().code(), absl::StatusCode::kNotFound);
  RegisterKeyAlgorithm("oem-secret", [](const SecurityLevel&, std::span<const uint8_t> seed) {
    return absl::StatusOr<Bytes>(Bytes(seed.rbegin(), seed.rend()));
  });
  EXPECT_EQ(*ComputeKey(unknown, Bytes{1, 2, 3}), (Bytes{3, 2, 1}));
}

}  // namespace
}  // namespace pharos::sovd::ecu
