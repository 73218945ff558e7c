#include "pipeline/refdata/account_directory.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "tests/testing/case_name.h"
#include "tests/testing/load_errors.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_products.h"

namespace eodclear {
namespace {

using testing::Day;
using testing::ExpectLoadError;
using testing::ExpectNotFound;
using testing::LoadErrorCase;
using testing::Rows;

using Strings = std::vector<std::string>;

constexpr std::string_view kAccountsHeader = "account,firm,owner,origin,auto_offset\n";
constexpr std::string_view kExemptionsHeader = "owner,product,kind,quantity,valid_from,valid_to\n";

// tests/testdata/refdata/{accounts,exemptions}.csv: fixtures owned by these tests, never the ops
// files.
std::string AccountsFixture() {
  return std::string(EODCLEAR_TESTDATA_DIR) + "/refdata/accounts.csv";
}
std::string ExemptionsFixture() {
  return std::string(EODCLEAR_TESTDATA_DIR) + "/refdata/exemptions.csv";
}

// A catalog of canonical codes, ME with the alias EMD.
ProductCatalog Catalog() { return testing::CatalogOfCodes({"CNH", "MNH", "ME"}); }

Strings AccountIds(const std::vector<const Account*>& accounts) {
  Strings ids;
  for (const Account* a : accounts) ids.push_back(a->account);
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Loading the fixtures.

class AccountDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory = AccountDirectory::Load(AccountsFixture(), ExemptionsFixture());
    ASSERT_TRUE(directory.has_value()) << directory.error().ToString();
    directory_ = std::move(*directory);
  }

  AccountDirectory directory_;
};

TEST_F(AccountDirectoryTest, LoadsEveryAccountInFileOrder) {
  Strings ids;
  for (const Account& a : directory_.accounts()) ids.push_back(a.account);
  EXPECT_EQ(ids, (Strings{"CLR01-H1", "CLR01-C100", "CLR01-C101", "CLR02-C200", "CLR03-C300",
                          "CLR03-C301"}));
}

TEST_F(AccountDirectoryTest, LoadsEveryColumnOfAnAccount) {
  const Account* house = directory_.Find("CLR01-H1");
  ASSERT_NE(house, nullptr);
  EXPECT_EQ(house->firm, "CLR01");
  EXPECT_EQ(house->owner, "CLR01-PROP");
  EXPECT_EQ(house->origin, AccountOrigin::kHouse);
  EXPECT_TRUE(house->auto_offset);
  EXPECT_EQ(house->line, 3u);
  const Account* customer = directory_.Find("CLR02-C200");
  ASSERT_NE(customer, nullptr);
  EXPECT_EQ(customer->firm, "CLR02");
  EXPECT_EQ(customer->origin, AccountOrigin::kCustomer);
  EXPECT_FALSE(customer->auto_offset);
  EXPECT_EQ(customer->line, 7u);  // a blank line still counts
}

TEST_F(AccountDirectoryTest, ListedAccountsResolveToTheirOwner) {
  EXPECT_EQ(directory_.OwnerOf("CLR01-C100"), "OWNER-A");
  EXPECT_EQ(directory_.OwnerOf("CLR02-C200"), "OWNER-A");
  EXPECT_EQ(directory_.OwnerOf("CLR01-C101"), "OWNER-B");
  EXPECT_EQ(directory_.OwnerOf("CLR03-C301"), "CLR03-C301");  // listed as its own owner
}

TEST_F(AccountDirectoryTest, UnknownAccountIsItsOwnOwnerWithoutAutoOffset) {
  EXPECT_EQ(directory_.Find("CLR09-C999"), nullptr);
  EXPECT_EQ(directory_.OwnerOf("CLR09-C999"), "CLR09-C999");
  EXPECT_FALSE(directory_.AutoOffset("CLR09-C999"));
  EXPECT_EQ(directory_.OwnerOf("clr01-c100"), "clr01-c100");  // ids are case-sensitive
  EXPECT_TRUE(directory_.AccountsOf("CLR09-C999").empty());
}

TEST_F(AccountDirectoryTest, AutoOffsetFollowsTheAccountRow) {
  EXPECT_TRUE(directory_.AutoOffset("CLR01-C100"));
  EXPECT_FALSE(directory_.AutoOffset("CLR01-C101"));
  EXPECT_FALSE(directory_.AutoOffset("CLR02-C200"));
}

TEST_F(AccountDirectoryTest, AccountsOfAnOwnerSpanFirmsInFileOrder) {
  EXPECT_EQ(AccountIds(directory_.AccountsOf("OWNER-A")),
            (Strings{"CLR01-C100", "CLR02-C200", "CLR03-C300"}));
  EXPECT_EQ(AccountIds(directory_.AccountsOf("OWNER-B")), (Strings{"CLR01-C101"}));
  EXPECT_TRUE(directory_.AccountsOf("OWNER-Z").empty());
}

TEST_F(AccountDirectoryTest, LoadsEveryColumnOfAnExemption) {
  ASSERT_EQ(directory_.exemptions().size(), 4u);
  const Exemption& e = directory_.exemptions()[0];
  EXPECT_EQ(e.owner, "OWNER-A");
  EXPECT_EQ(e.product, "CNH");
  EXPECT_EQ(e.kind, LimitKind::kSpotMonth);
  EXPECT_EQ(e.quantity, 7500);
  EXPECT_EQ(e.valid_from, Day("2023-06-01"));
  EXPECT_EQ(e.valid_to, Day("2023-06-30"));
  EXPECT_EQ(e.line, 3u);
}

// OWNER-A's CNH spot-month exemption is 7,500 in June 2023 and 8,000 in July 2023.
struct InForceCase {
  std::string_view date;
  int64_t quantity;  // 0: none in force
};

class AccountDirectoryInForceTest : public AccountDirectoryTest,
                                    public ::testing::WithParamInterface<InForceCase> {};

TEST_P(AccountDirectoryInForceTest, InForceOnlyFromValidFromThroughValidTo) {
  const Exemption* e =
      directory_.ExemptionInForce("OWNER-A", "CNH", LimitKind::kSpotMonth, Day(GetParam().date));
  if (GetParam().quantity == 0) {
    EXPECT_EQ(e, nullptr) << GetParam().date << ": quantity " << e->quantity;
  } else {
    ASSERT_NE(e, nullptr) << GetParam().date;
    EXPECT_EQ(e->quantity, GetParam().quantity) << GetParam().date;
  }
}

INSTANTIATE_TEST_SUITE_P(
    AccountDirectoryTest, AccountDirectoryInForceTest,
    ::testing::Values(InForceCase{"2023-05-31", 0}, InForceCase{"2023-06-01", 7500},
                      InForceCase{"2023-06-16", 7500}, InForceCase{"2023-06-30", 7500},
                      InForceCase{"2023-07-01", 8000}, InForceCase{"2023-07-31", 8000},
                      InForceCase{"2023-08-01", 0}));

TEST_F(AccountDirectoryTest, ExemptionMatchesOwnerProductAndKindExactly) {
  Date day = Day("2023-06-16");
  EXPECT_NE(directory_.ExemptionInForce("OWNER-A", "CNH", LimitKind::kAllMonths, day), nullptr);
  EXPECT_EQ(directory_.ExemptionInForce("OWNER-A", "CNH", LimitKind::kSingleMonth, day), nullptr);
  EXPECT_EQ(directory_.ExemptionInForce("OWNER-A", "MNH", LimitKind::kSpotMonth, day), nullptr);
  EXPECT_EQ(directory_.ExemptionInForce("OWNER-B", "CNH", LimitKind::kSpotMonth, day), nullptr);
  // An exemption is granted to the owner, not to one of its accounts.
  EXPECT_EQ(directory_.ExemptionInForce("CLR01-C100", "CNH", LimitKind::kSpotMonth, day), nullptr);
}

TEST_F(AccountDirectoryTest, OneDayExemptionIsInForceThatDayOnly) {
  EXPECT_EQ(
      directory_.ExemptionInForce("OWNER-B", "MNH", LimitKind::kSingleMonth, Day("2023-06-15")),
      nullptr);
  const Exemption* e =
      directory_.ExemptionInForce("OWNER-B", "MNH", LimitKind::kSingleMonth, Day("2023-06-16"));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->quantity, 60000);
  EXPECT_EQ(
      directory_.ExemptionInForce("OWNER-B", "MNH", LimitKind::kSingleMonth, Day("2023-06-17")),
      nullptr);
}

TEST(AccountOriginTest, Names) {
  EXPECT_EQ(AccountOriginName(AccountOrigin::kHouse), "house");
  EXPECT_EQ(AccountOriginName(AccountOrigin::kCustomer), "customer");
}

// ---------------------------------------------------------------------------------------------
// Load errors, from files written into a fresh temporary folder.

class AccountDirectoryLoadErrorTest : public ::testing::Test {
 protected:
  std::string Write(std::string_view name, std::string_view text) {
    return temp_.Write(name, text);
  }
  // Loads the two files and checks the load fails with kInvalidArgument "<file>:line: ..."
  // containing `what`, where <file> is the accounts file or (exemptions_bad) the exemptions file.
  void ExpectError(std::string_view accounts, std::string_view exemptions, bool exemptions_bad,
                   int line, std::string_view what, const ProductCatalog* catalog = nullptr) {
    std::string accounts_path = Write("accounts.csv", accounts);
    std::string exemptions_path = Write("exemptions.csv", exemptions);
    auto directory = AccountDirectory::Load(accounts_path, exemptions_path, catalog);
    ASSERT_FALSE(directory.has_value()) << "loaded " << directory->accounts().size() << " accounts";
    ExpectLoadError(directory.error(), exemptions_bad ? exemptions_path : accounts_path, line,
                    what);
  }

  testing::TempDir temp_{"account_directory_test"};
  std::filesystem::path dir_ = temp_.path();
};

constexpr std::string_view kH1 = "CLR01-H1,CLR01,CLR01-PROP,house,true\n";
constexpr std::string_view kC100 = "CLR01-C100,CLR01,OWNER-A,customer,false\n";

class AccountDirectoryBadAccountTest : public AccountDirectoryLoadErrorTest,
                                       public ::testing::WithParamInterface<LoadErrorCase> {};

TEST_P(AccountDirectoryBadAccountTest, StopsWithInvalidArgumentNamingFileAndLine) {
  const LoadErrorCase& c = GetParam();
  ExpectError(std::string(kAccountsHeader) + c.body, kExemptionsHeader, false, c.line, c.what);
}

INSTANTIATE_TEST_SUITE_P(
    AccountDirectoryTest, AccountDirectoryBadAccountTest,
    ::testing::Values(
        LoadErrorCase{"DuplicateAccount",
                      Rows({kH1, kC100, "CLR01-C100,CLR01,OWNER-B,customer,true\n"}), 4,
                      "account 'CLR01-C100' already listed at line 3"},
        LoadErrorCase{"UnknownOrigin", Rows({"CLR01-C100,CLR01,OWNER-A,omnibus,true\n"}), 2,
                      "origin 'omnibus' must be house or customer"},
        LoadErrorCase{"UpperCaseOrigin", Rows({"CLR01-H1,CLR01,P,HOUSE,true\n"}), 2,
                      "origin 'HOUSE' must be house or customer"},
        LoadErrorCase{"YesAutoOffset", Rows({"CLR01-C100,CLR01,OWNER-A,customer,yes\n"}), 2,
                      "auto_offset 'yes' must be true or false"},
        LoadErrorCase{"UpperCaseAutoOffset", Rows({"CLR01-C100,CLR01,OWNER-A,customer,TRUE\n"}), 2,
                      "auto_offset 'TRUE' must be true or false"},
        LoadErrorCase{"EmptyAutoOffset", Rows({"CLR01-C100,CLR01,OWNER-A,customer,\n"}), 2,
                      "auto_offset '' must be true or false"},
        LoadErrorCase{"EmptyOwner", Rows({"CLR01-C100,CLR01,,customer,true\n"}), 2,
                      "owner '' must be letters, digits"},
        LoadErrorCase{"OwnerWithSpace", Rows({"CLR01-C100,CLR01,Acme Capital,customer,true\n"}), 2,
                      "owner 'Acme Capital' must be letters, digits"},
        LoadErrorCase{"EmptyAccount", Rows({",CLR01,OWNER-A,customer,true\n"}), 2,
                      "account '' must be letters, digits"},
        LoadErrorCase{"LowerCaseFirm", Rows({"CLR01-C100,clr01,OWNER-A,customer,true\n"}), 2,
                      "firm 'clr01' must be upper-case letters and digits"},
        LoadErrorCase{"OwnerNamedLikeAnotherOwnersAccount",
                      Rows({kH1, kC100, "CLR02-C200,CLR02,CLR01-C100,customer,true\n"}), 4,
                      "owner 'CLR01-C100' is the id of account CLR01-C100 (line 3), whose owner "
                      "is 'OWNER-A'"},
        LoadErrorCase{"WrongFieldCount", Rows({kH1, "CLR01-C100,CLR01,OWNER-A,customer\n"}), 3,
                      "4 fields, header has 5"}),
    testing::CaseName());

constexpr std::string_view kSpot = "OWNER-A,CNH,spot_month,7500,2023-06-01,2023-06-30\n";

class AccountDirectoryBadExemptionTest : public AccountDirectoryLoadErrorTest,
                                         public ::testing::WithParamInterface<LoadErrorCase> {};

TEST_P(AccountDirectoryBadExemptionTest, StopsWithInvalidArgumentNamingFileAndLine) {
  const LoadErrorCase& c = GetParam();
  ExpectError(std::string(kAccountsHeader) + std::string(kC100),
              std::string(kExemptionsHeader) + c.body, true, c.line, c.what);
}

INSTANTIATE_TEST_SUITE_P(
    AccountDirectoryTest, AccountDirectoryBadExemptionTest,
    ::testing::Values(
        LoadErrorCase{"UnknownKind", Rows({"OWNER-A,CNH,spot,7500,2023-06-01,2023-06-30\n"}), 2,
                      "kind 'spot' must be spot_month, single_month or all_months"},
        LoadErrorCase{"HyphenatedKind",
                      Rows({kSpot, "OWNER-A,CNH,all-months,7500,2023-06-01,2023-06-30\n"}), 3,
                      "kind 'all-months' must be spot_month, single_month or all_months"},
        LoadErrorCase{"EmptyKind", Rows({"OWNER-A,CNH,,7500,2023-06-01,2023-06-30\n"}), 2,
                      "kind '' must be"},
        LoadErrorCase{"ZeroQuantity", Rows({"OWNER-A,CNH,spot_month,0,2023-06-01,2023-06-30\n"}), 2,
                      "quantity '0' must be a positive whole number"},
        LoadErrorCase{"NegativeQuantity",
                      Rows({"OWNER-A,CNH,spot_month,-5,2023-06-01,2023-06-30\n"}), 2,
                      "quantity '-5' must be a positive whole number"},
        LoadErrorCase{"FractionalQuantity",
                      Rows({"OWNER-A,CNH,spot_month,7500.5,2023-06-01,2023-06-30\n"}), 2,
                      "quantity '7500.5' must be a positive whole number"},
        LoadErrorCase{"ImpossibleDate",
                      Rows({"OWNER-A,CNH,spot_month,7500,2023-02-30,2023-06-30\n"}), 2,
                      "valid_from: "},
        LoadErrorCase{"SlashDate", Rows({"OWNER-A,CNH,spot_month,7500,2023-06-01,2023/06/30\n"}), 2,
                      "valid_to: "},
        LoadErrorCase{"EmptyValidTo", Rows({"OWNER-A,CNH,spot_month,7500,2023-06-01,\n"}), 2,
                      "valid_to: "},
        LoadErrorCase{"ValidToBeforeValidFrom",
                      Rows({"OWNER-A,CNH,spot_month,7500,2023-06-30,2023-06-01\n"}), 2,
                      "valid_to 2023-06-01 is before valid_from 2023-06-30"},
        LoadErrorCase{"OverlappingExemptions",
                      Rows({kSpot, "OWNER-A,CNH,spot_month,9000,2023-06-30,2023-07-31\n"}), 3,
                      "spot_month exemption of 'OWNER-A' for CNH overlaps the one at line 2 "
                      "(2023-06-01 to 2023-06-30)"},
        LoadErrorCase{"ContainedExemption",
                      Rows({kSpot, "OWNER-A,CNH,spot_month,9000,2023-06-10,2023-06-11\n"}), 3,
                      "overlaps the one at line 2"},
        LoadErrorCase{"LowerCaseProduct",
                      Rows({"OWNER-A,cnh,spot_month,7500,2023-06-01,2023-06-30\n"}), 2,
                      "product 'cnh' must be upper-case letters and digits"},
        LoadErrorCase{"EmptyOwner", Rows({",CNH,spot_month,7500,2023-06-01,2023-06-30\n"}), 2,
                      "owner '' must be letters, digits"},
        LoadErrorCase{"WrongFieldCount", Rows({"OWNER-A,CNH,spot_month,7500,2023-06-01\n"}), 2,
                      "5 fields, header has 6"}),
    testing::CaseName());

TEST_F(AccountDirectoryLoadErrorTest, AdjacentAndOtherKindExemptionsDoNotOverlap) {
  std::string accounts = Write("accounts.csv", std::string(kAccountsHeader) + std::string(kC100));
  std::string exemptions =
      Write("exemptions.csv", std::string(kExemptionsHeader) + std::string(kSpot) +
                                  "OWNER-A,CNH,spot_month,9000,2023-07-01,"
                                  "2023-07-31\n"
                                  "OWNER-A,CNH,all_months,9000,2023-06-01,"
                                  "2023-06-30\n"
                                  "OWNER-A,MNH,spot_month,9000,2023-06-01,"
                                  "2023-06-30\n"
                                  "OWNER-B,CNH,spot_month,9000,2023-06-01,"
                                  "2023-06-30\n");
  auto directory = AccountDirectory::Load(accounts, exemptions);
  ASSERT_TRUE(directory.has_value()) << directory.error().ToString();
  EXPECT_EQ(directory->exemptions().size(), 5u);
}

TEST_F(AccountDirectoryLoadErrorTest, ExemptionForUnknownProductWithACatalogIsRejected) {
  ProductCatalog catalog = Catalog();
  ExpectError(std::string(kAccountsHeader),
              std::string(kExemptionsHeader) + std::string(kSpot) +
                  "OWNER-A,NQ,all_months,100,2023-01-01,2023-12-31\n",
              true, 3, "product 'NQ' is not in the catalog", &catalog);
  ExpectError(std::string(kAccountsHeader),
              std::string(kExemptionsHeader) + "OWNER-A,EMD,all_months,100,2023-01-01,2023-12-31\n",
              true, 2, "product 'EMD' is an alias; write the canonical code 'ME'", &catalog);
}

TEST_F(AccountDirectoryLoadErrorTest, WrongHeadersAreInvalidArgumentNamingTheFile) {
  ExpectError("account,firm,owner,origin\n", kExemptionsHeader, false, 1,
              "expected 'account,firm,owner,origin,auto_offset'");
  ExpectError(kAccountsHeader, "owner,product,kind,quantity,from,to\n", true, 1,
              "expected 'owner,product,kind,quantity,valid_from,valid_to'");
}

TEST_F(AccountDirectoryLoadErrorTest, MissingFilesAreNotFound) {
  std::string accounts = Write("accounts.csv", kAccountsHeader);
  std::string exemptions = Write("exemptions.csv", kExemptionsHeader);
  std::string absent = (dir_ / "absent.csv").string();
  for (auto [a, e] : {std::pair{absent, exemptions}, std::pair{accounts, absent}}) {
    auto directory = AccountDirectory::Load(a, e);
    ASSERT_FALSE(directory.has_value());
    ExpectNotFound(directory.error(), absent);
  }
}

TEST_F(AccountDirectoryLoadErrorTest, HeaderOnlyFilesAreAnEmptyDirectory) {
  auto directory = AccountDirectory::Load(Write("accounts.csv", kAccountsHeader),
                                          Write("exemptions.csv", kExemptionsHeader));
  ASSERT_TRUE(directory.has_value()) << directory.error().ToString();
  EXPECT_TRUE(directory->accounts().empty());
  EXPECT_TRUE(directory->exemptions().empty());
  EXPECT_EQ(directory->OwnerOf("CLR01-C100"), "CLR01-C100");
}

}  // namespace
}  // namespace eodclear
