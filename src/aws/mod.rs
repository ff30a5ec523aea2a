//! The seam to AWS: DynamoDB clients, the embedded emulator behind `--local`, and the
//! conversions between the design's types and the SDK's.

pub mod clients;
pub mod dynamo;
pub mod local;
