//! Price tables: one data file, embedded at build time, replaceable by the user's own.

use std::collections::BTreeMap;
use std::path::Path;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The price file shipped with the tool.
pub const BUILT_IN: &str = include_str!("../../prices/aws-prices.json");

/// A whole price file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceFile {
    /// What the file is.
    #[serde(default)]
    pub description: String,
    /// Currency of every price.
    pub currency: String,
    /// Where the prices come from.
    pub source: String,
    /// When they were read.
    pub retrieved: String,
    /// Prices per Region code.
    pub regions: BTreeMap<String, RegionPrices>,
}

/// Prices in one Region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionPrices {
    /// On-demand write request units, per million.
    pub write_request_units_per_million: Decimal,
    /// On-demand read request units, per million.
    pub read_request_units_per_million: Decimal,
    /// Standard table class storage, per GB-month.
    pub storage_per_gb_month: Decimal,
    /// Lambda invocations, per million.
    pub lambda_requests_per_million: Decimal,
    /// Lambda duration on x86_64, per GB-second.
    pub lambda_per_gb_second_x86_64: Decimal,
    /// Lambda duration on arm64, per GB-second.
    pub lambda_per_gb_second_arm64: Decimal,
    /// CloudWatch Logs ingestion, per GB.
    pub logs_ingestion_per_gb: Decimal,
    /// The Standard-IA table class's prices, when known exactly; otherwise they are derived
    /// from the Standard prices by the ratios AWS publishes for the class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard_ia: Option<ClassPrices>,
}

/// What a table class pays for requests and storage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassPrices {
    /// On-demand write request units, per million.
    pub write_request_units_per_million: Decimal,
    /// On-demand read request units, per million.
    pub read_request_units_per_million: Decimal,
    /// Storage, per GB-month.
    pub storage_per_gb_month: Decimal,
}

/// Standard-IA requests cost this many times Standard's (25 % more) where no exact price is
/// given.
pub const IA_REQUEST_RATIO: Decimal = Decimal::from_parts(125, 0, 0, false, 2);
/// Standard-IA storage costs this many times Standard's (60 % less) where no exact price is
/// given.
pub const IA_STORAGE_RATIO: Decimal = Decimal::from_parts(4, 0, 0, false, 1);

impl RegionPrices {
    /// The prices a table of `class` pays, and whether they were derived by the published
    /// ratios rather than given.
    pub fn class(&self, class: crate::design::TableClass) -> (ClassPrices, bool) {
        let standard = ClassPrices {
            write_request_units_per_million: self.write_request_units_per_million,
            read_request_units_per_million: self.read_request_units_per_million,
            storage_per_gb_month: self.storage_per_gb_month,
        };
        match class {
            crate::design::TableClass::Standard => (standard, false),
            crate::design::TableClass::StandardInfrequentAccess => match self.standard_ia {
                Some(p) => (p, false),
                None => (
                    ClassPrices {
                        write_request_units_per_million: standard.write_request_units_per_million
                            * IA_REQUEST_RATIO,
                        read_request_units_per_million: standard.read_request_units_per_million
                            * IA_REQUEST_RATIO,
                        storage_per_gb_month: standard.storage_per_gb_month * IA_STORAGE_RATIO,
                    },
                    true,
                ),
            },
        }
    }
}

/// The prices of one Region with where they came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriceTable {
    /// Region code.
    pub region: String,
    /// Currency.
    pub currency: String,
    /// Source of the prices.
    pub source: String,
    /// When they were read.
    pub retrieved: String,
    /// The prices.
    pub prices: RegionPrices,
    /// The Region asked for, when the built-in table has no sourced prices for it and these
    /// (us-east-1's) stand in: request units and storage are the same everywhere, dollars are
    /// not, and every report says so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stand_in_for: Option<String>,
}

/// The Region whose prices stand in for a Region the built-in table does not price.
pub const STAND_IN_REGION: &str = "us-east-1";

impl PriceTable {
    /// Where the prices come from, as every report states it.
    pub fn label(&self) -> String {
        match &self.stand_in_for {
            None => format!(
                "{} {} ({}, retrieved {})",
                self.region, self.currency, self.source, self.retrieved
            ),
            Some(asked) => format!(
                "{} {} standing in for {asked}, which the built-in table does not price ({}, \
                 retrieved {}); request units and storage are the same in every Region, the \
                 dollars are not: pass --prices FILE (the shape of prices/aws-prices.json) for \
                 {asked}'s",
                self.region, self.currency, self.source, self.retrieved
            ),
        }
    }
}

/// Why prices could not be had.
#[derive(Debug, thiserror::Error)]
pub enum PriceError {
    /// The user's price file could not be read.
    #[error("cannot read price file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The price file is not valid.
    #[error("price file {path} is not valid: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong, with line and column.
        message: String,
    },
    /// No prices for the Region.
    #[error(
        "no prices for Region {region} in {file}; known Regions: {}. Pass --prices FILE with \
         this Region's prices (same shape as prices/aws-prices.json), or --region with a known one",
        known.join(", ")
    )]
    UnknownRegion {
        /// Region asked for.
        region: String,
        /// File searched.
        file: String,
        /// Regions the file has.
        known: Vec<String>,
    },
}

impl PriceFile {
    /// Parse a price file.
    pub fn parse(text: &str, path: &str) -> Result<Self, PriceError> {
        serde_json::from_str(text).map_err(|e| PriceError::Invalid {
            path: path.to_string(),
            message: e.to_string(),
        })
    }

    /// The built-in price file.
    pub fn built_in() -> Result<Self, PriceError> {
        Self::parse(BUILT_IN, "prices/aws-prices.json (built in)")
    }

    /// Read the user's price file, or the built-in one.
    pub fn load(path: Option<&Path>) -> Result<(Self, String), PriceError> {
        match path {
            None => Ok((Self::built_in()?, "built-in prices".to_string())),
            Some(p) => {
                let name = p.display().to_string();
                let text = std::fs::read_to_string(p).map_err(|source| PriceError::Io {
                    path: name.clone(),
                    source,
                })?;
                Ok((Self::parse(&text, &name)?, name))
            }
        }
    }

    /// The built-in prices of `region`, or us-east-1's standing in (and labelled so) when the
    /// table has no sourced prices for it: a design in any Region can be priced out of the box.
    pub fn built_in_or_stand_in(region: &str) -> Result<PriceTable, PriceError> {
        let file = Self::built_in()?;
        file.region(region, "built-in prices").or_else(|_| {
            let mut t = file.region(STAND_IN_REGION, "built-in prices")?;
            t.stand_in_for = Some(region.to_string());
            Ok(t)
        })
    }

    /// The prices of one Region.
    pub fn region(&self, region: &str, file: &str) -> Result<PriceTable, PriceError> {
        match self.regions.get(region) {
            Some(prices) => Ok(PriceTable {
                region: region.to_string(),
                currency: self.currency.clone(),
                source: self.source.clone(),
                retrieved: self.retrieved.clone(),
                prices: prices.clone(),
                stand_in_for: None,
            }),
            None => Err(PriceError::UnknownRegion {
                region: region.to_string(),
                file: file.to_string(),
                known: self.regions.keys().cloned().collect(),
            }),
        }
    }
}
