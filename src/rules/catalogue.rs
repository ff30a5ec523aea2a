//! Every rule the validator knows, with a stable id. Ids never change meaning once released:
//! a retired rule keeps its number unused.

use serde::Serialize;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// DynamoDB would reject it, or it cannot work as designed.
    Error,
    /// Against a design principle or likely to hurt; can be accepted with a recorded deviation.
    Warning,
    /// Worth knowing.
    Info,
}

impl Severity {
    /// Lower-case label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }
}

/// The group a rule belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// DynamoDB's hard limits and API rules, and the document's own consistency.
    Limits,
    /// Whether every access pattern is served by a key lookup.
    AccessPatterns,
    /// The design principles.
    Principles,
    /// Throughput per partition and per table.
    Capacity,
}

/// One rule of the catalogue.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rule {
    /// Stable id, e.g. "DDB001".
    pub id: &'static str,
    /// Severity of its findings.
    pub severity: Severity,
    /// Group.
    pub category: Category,
    /// One line.
    pub title: &'static str,
    /// Why it matters.
    pub explanation: &'static str,
    /// What to do about it.
    pub fix: &'static str,
}

macro_rules! rule {
    ($id:literal, $sev:ident, $cat:ident, $title:literal, $why:literal, $fix:literal) => {
        Rule {
            id: $id,
            severity: Severity::$sev,
            category: Category::$cat,
            title: $title,
            explanation: $why,
            fix: $fix,
        }
    };
}

/// The whole catalogue, in id order.
pub static RULES: &[Rule] = &[
    rule!(
        "DDB001",
        Error,
        Limits,
        "Table or index name breaks DynamoDB's naming rules",
        "Table and index names must be 3 to 255 characters of letters, digits, underscore, dash and dot; CreateTable rejects anything else.",
        "Rename it using only [A-Za-z0-9_.-], 3 to 255 characters."
    ),
    rule!(
        "DDB002",
        Error,
        Limits,
        "Key attribute of a type DynamoDB cannot key on",
        "Partition and sort keys of tables and indexes must be scalar String, Number or Binary.",
        "Key on an S, N or B attribute; move lists, maps, sets and booleans out of the key."
    ),
    rule!(
        "DDB003",
        Error,
        Limits,
        "Item can exceed 400 KB",
        "DynamoDB rejects any item over 400 KB, counting attribute names and values.",
        "Move large values to S3 and store the object key, split the item, or compress the value."
    ),
    rule!(
        "DDB004",
        Error,
        Limits,
        "Partition-key value can exceed 2048 bytes",
        "A partition-key value may be at most 2048 bytes.",
        "Key on a shorter identifier, or hash the long value into one."
    ),
    rule!(
        "DDB005",
        Error,
        Limits,
        "Sort-key value can exceed 1024 bytes",
        "A sort-key value may be at most 1024 bytes.",
        "Key on a shorter value, or move the long value out of the sort key."
    ),
    rule!(
        "DDB006",
        Warning,
        Limits,
        "More than 20 global secondary indexes on one table",
        "20 GSIs per table is DynamoDB's default quota; more needs a quota increase, and every index multiplies write cost.",
        "Merge indexes that serve similar patterns, or request a quota increase before deploying."
    ),
    rule!(
        "DDB007",
        Error,
        Limits,
        "More than 5 local secondary indexes on one table",
        "A table can have at most 5 LSIs, and they can only be created with the table.",
        "Use global secondary indexes for the extra patterns."
    ),
    rule!(
        "DDB008",
        Error,
        Limits,
        "More than 100 projected non-key attributes across a table's indexes",
        "INCLUDE projections of all secondary indexes of a table may list at most 100 attributes in total (an attribute in two indexes counts twice).",
        "Project ALL on the index that needs many attributes, or project fewer attributes."
    ),
    rule!(
        "DDB009",
        Error,
        Limits,
        "Strongly consistent read on a global secondary index",
        "GSIs are eventually consistent only; DynamoDB rejects ConsistentRead=true on a GSI.",
        "Accept eventual consistency for this pattern, or serve it from the table or a local secondary index."
    ),
    rule!(
        "DDB010",
        Error,
        Limits,
        "Key attribute not defined by the stored entity",
        "Every key of a table (and of its indexes) must be an attribute of the entities stored there, with the same type.",
        "Add the attribute to the entity, or fix the key's name or type. For a sparse index (only some items carry its key), define the attribute and give it a present_fraction such as 0.05."
    ),
    rule!(
        "DDB011",
        Error,
        Limits,
        "AttributeDefinitions do not match the keys",
        "CreateTable requires AttributeDefinitions to list exactly the key attributes of the table and its indexes; a missing or an unused definition is rejected.",
        "List each key attribute once with its type, and nothing else (or leave attribute_definitions out to derive them)."
    ),
    rule!(
        "DDB012",
        Error,
        Limits,
        "Benchmark table name without the ddb-benchmark- prefix or too long",
        "Every table a benchmark creates is named ddb-benchmark-…, so that cleanup can find it and never touch anything else; the full name must still be a valid table name.",
        "Start benchmark.table_prefix with ddb-benchmark- and keep prefix plus table name within 255 valid characters."
    ),
    rule!(
        "DDB013",
        Error,
        Limits,
        "Provisioned capacity in an on-demand design",
        "Designs are benchmarked on on-demand (PAY_PER_REQUEST) tables, which must not carry ProvisionedThroughput on the table or any GSI.",
        "Remove billing_mode PROVISIONED and every provisioned_throughput."
    ),
    rule!(
        "DDB014",
        Error,
        Limits,
        "Local secondary index that DynamoDB would reject",
        "An LSI shares the table's partition key, needs its own sort key, and the table itself must have a sort key.",
        "Give the LSI the table's partition key and a sort key, or make it a GSI."
    ),
    rule!(
        "DDB015",
        Error,
        Limits,
        "Projection that DynamoDB would reject",
        "INCLUDE needs at least one non-key attribute; ALL and KEYS_ONLY take no attribute list.",
        "List the attributes under INCLUDE only, or switch the projection type."
    ),
    rule!(
        "DDB016",
        Error,
        Limits,
        "Name used twice",
        "Entities, attributes of one entity, tables, indexes of one table and access-pattern ids must be unique, or references become ambiguous.",
        "Rename one of them."
    ),
    rule!(
        "DDB017",
        Error,
        Limits,
        "Reference to something the design does not define",
        "An entity, attribute, table or index named in one place must be defined in the document.",
        "Fix the name, or add the missing definition."
    ),
    rule!(
        "DDB018",
        Error,
        Limits,
        "Value out of range",
        "Rates, latencies and sizes must be positive, average rates at most the peak, identities and table entity lists non-empty, and an attribute's present_fraction a share above 0 and at most 1 — never below 1 on an identity or a table key, which every item carries.",
        "Correct the value."
    ),
    rule!(
        "DDB019",
        Warning,
        Limits,
        "Deviation that accepts nothing",
        "A recorded deviation must name a warning that the design actually triggers; errors are DynamoDB's limits and cannot be waived.",
        "Fix the rule id or subject, or remove the stale deviation."
    ),
    rule!(
        "DDB020",
        Error,
        Limits,
        "Region that does not exist",
        "Everything the design creates lives in its Region; a code that is malformed, or well formed but not a Region AWS runs (us-east-9), fails at deploy time.",
        "Use a Region code from the AWS list, such as us-east-1 or eu-west-2; ddb-architect's list is in src/design/regions.rs."
    ),
    rule!(
        "DDB021",
        Error,
        Limits,
        "Name the tool cannot carry safely",
        "Names travel into table names, tags, documents and generated code: the application's name and entity names use letters, digits, `_`, `-` and `.` (the application's may have spaces), pattern ids likewise, and attribute names are 1 to 255 bytes without control characters.",
        "Rename it within those characters; the message shows the name escaped."
    ),
    rule!(
        "DDB022",
        Error,
        Limits,
        "Number beyond 38 digits of precision",
        "A DynamoDB Number holds at most 38 significant digits; a longer value is rejected, and rounding it silently would change money or ids.",
        "Store the value as a String (ids, codes) or reduce its precision; keep money as exact decimals within 38 digits."
    ),
    rule!(
        "DDB023",
        Error,
        Limits,
        "TTL attribute that never expires items",
        "Time to Live deletes an item once the top-level Number it names, in epoch seconds, is in the past; a String, a missing attribute or milliseconds never expire (milliseconds read as seconds lie tens of thousands of years ahead).",
        "Name a Number attribute of the table's entity holding epoch seconds (e.g. ExpiresAt = 1767225600)."
    ),
    rule!(
        "DDB024",
        Error,
        Limits,
        "Transaction on a call DynamoDB cannot make transactional",
        "TransactWriteItems and TransactGetItems act on items named by their table's full primary key: Put, Update, Delete, ConditionCheck and Get. A Query or Scan, or any read of an index, has no transactional form, so the pattern cannot run as described.",
        "Make the pattern a GetItem or a write on the table's key, or drop `transactional` and read the items with a Query (and accept that it sees each item's latest committed state, not one snapshot)."
    ),
    rule!(
        "DDB025",
        Error,
        Limits,
        "Multi-attribute key DynamoDB would reject",
        "A global secondary index may key on up to four partition-key attributes and up to four sort-key attributes, each an attribute of the items (no concatenated values needed); a local secondary index keeps a single-attribute sort key, and no attribute may appear twice in one key.",
        "Keep each key within four attributes, move the extra attributes to a GSI, or list each attribute once."
    ),
    rule!(
        "DDB100",
        Info,
        AccessPatterns,
        "No data model yet",
        "The document has access patterns but no tables, so only the requirements were checked.",
        "Add tables and a target for every access pattern (Stage 2)."
    ),
    rule!(
        "DDB101",
        Error,
        AccessPatterns,
        "Scan used as an access pattern",
        "A Scan reads and bills every item in the table; its cost and latency grow with the table, not with the answer.",
        "Serve the pattern with a GetItem or a Query on a table or a GSI keyed by what the application knows."
    ),
    rule!(
        "DDB102",
        Error,
        AccessPatterns,
        "Access pattern not served by the data model",
        "Every access pattern needs a table or index that answers it with a single key lookup.",
        "Set the pattern's target to a table or index whose key matches its key criteria, adding a GSI if needed."
    ),
    rule!(
        "DDB103",
        Error,
        AccessPatterns,
        "Key criteria lack an equality on the partition key",
        "GetItem and Query need the partition-key value; without it the only way to answer is a Scan.",
        "Target a table or GSI whose partition key the application knows exactly."
    ),
    rule!(
        "DDB104",
        Error,
        AccessPatterns,
        "Criterion only a filter could apply",
        "A key condition can use only the partition key and the sort key; anything else becomes a FilterExpression, which still reads and bills every item under the key.",
        "Target an index whose sort key is that attribute, or drop the criterion from the lookup."
    ),
    rule!(
        "DDB105",
        Error,
        AccessPatterns,
        "GetItem without the full primary key or on an index",
        "GetItem reads one item of a table by its exact partition and sort key; it cannot read an index.",
        "Supply equality on every key attribute of the table, or use a Query."
    ),
    rule!(
        "DDB106",
        Error,
        AccessPatterns,
        "Write without the full primary key or on an index",
        "PutItem, UpdateItem and DeleteItem address one item of a table by its full primary key; indexes are read-only.",
        "Target the table and give equality on its partition and sort key."
    ),
    rule!(
        "DDB107",
        Warning,
        AccessPatterns,
        "Query may return more than 1 MB per call",
        "A Query stops at 1 MB and the application must follow LastEvaluatedKey, so one logical read becomes several calls.",
        "Page deliberately with a Limit, narrow the sort-key range, or project fewer attributes into the index."
    ),
    rule!(
        "DDB108",
        Error,
        AccessPatterns,
        "Target does not store the pattern's entity",
        "A pattern can only be served by a table (or an index of a table) that holds items of its entity.",
        "Point the target at the entity's own table or one of its indexes."
    ),
    rule!(
        "DDB109",
        Error,
        AccessPatterns,
        "Sort-key condition not allowed for the key's type",
        "begins_with works on String and Binary sort keys only.",
        "Use a range condition (between, <, >) on a Number key, or store the value as a String."
    ),
    rule!(
        "DDB110",
        Error,
        AccessPatterns,
        "Order the target's sort key cannot give",
        "A Query returns items in sort-key order (ScanIndexForward=false reverses it); a table or index without a sort key has no order, and a sort key of random ids (UUIDv4) cannot give newest or oldest first.",
        "Key the target by a sort key that sorts the way the pattern needs: an ISO-8601 timestamp, an epoch number, a ULID or a UUIDv7 for time order (an index can add one, e.g. ProductId + OrderDate)."
    ),
    rule!(
        "DDB111",
        Warning,
        AccessPatterns,
        "Pattern asks for an order but declares none",
        "A description that says latest, newest, recent or oldest needs items in an order; without `order` nothing checks that the sort key gives it, and the benchmark reads them in the default order.",
        "Declare `order` (newest_first, oldest_first, ascending or descending) on the pattern, or reword the description."
    ),
    rule!(
        "DDB112",
        Warning,
        AccessPatterns,
        "Uniqueness served only by a secondary index",
        "Only a table's primary key is unique: a GSI accepts any number of items with the same key value, and it is eventually consistent, so a read just after a write can miss it. Two sign-ups with one email both succeed.",
        "Write a uniqueness item keyed by the value (a table such as CustomerEmails with PK Email) in the same TransactWriteItems as the item, with attribute_not_exists on both; or record a deviation naming what enforces it instead."
    ),
    rule!(
        "DDB113",
        Error,
        AccessPatterns,
        "UpdateItem changes a primary-key attribute",
        "A primary key cannot be updated: UpdateItem rejects an update expression that sets a key attribute.",
        "Write a new item with the new key and delete the old one (in one transaction if both must happen), or key the table by something that does not change."
    ),
    rule!(
        "DDB114",
        Warning,
        AccessPatterns,
        "Collection grown without a bound",
        "An UpdateItem that appends to a list, map or set grows the item each time; with no bound the item reaches 400 KB and every later write to it fails, while each read and write costs more on the way.",
        "Give the attribute a max_bytes the application enforces, or move the growing part into child items of their own (one item per element, keyed by the parent id)."
    ),
    rule!(
        "DDB115",
        Error,
        AccessPatterns,
        "Range condition on a date that does not sort",
        "Sort keys compare Strings character by character, so a range over DD/MM/YYYY or MM/DD/YYYY values matches the wrong dates (01/12/2025 sorts before 02/01/2024).",
        "Store dates in a sortable form: ISO-8601 (2026-11-02T09:14:05Z) or an epoch Number."
    ),
    rule!(
        "DDB116",
        Error,
        AccessPatterns,
        "Collection grows past 400 KB at the stated rates",
        "At the pattern's rate, spread over the entity's items, the collection it appends to fills the item to 400 KB within a year (or before the items expire); from then on every write to the item fails.",
        "Move the growing part into child items of their own (one item per element, keyed by the parent id), cap it with max_bytes and trim old elements, or expire items sooner (retention_days with TTL)."
    ),
    rule!(
        "DDB117",
        Warning,
        AccessPatterns,
        "Write not keyed by the entity's identity",
        "A write names one item by the attributes that identify its entity; keyed by anything else it can overwrite or miss items, and the requirements contradict the entity they describe.",
        "Key the write by the entity's identity, or correct the identity (or the entity the pattern names)."
    ),
    rule!(
        "DDB118",
        Warning,
        AccessPatterns,
        "Pattern lists a child's items but reads the parent",
        "A pattern that lists an order's lines reads OrderLine items; naming the parent entity sizes, costs and serves it from the wrong table.",
        "Name the child entity in the pattern (and key its Query by the parent's id)."
    ),
    rule!(
        "DDB201",
        Warning,
        Principles,
        "Table stores more than one entity",
        "One table per entity keeps each model easy to reason about, evolve and restore; converging tables should follow benchmark evidence.",
        "Give each entity its own table, or record a deviation with the evidence and the trade-off."
    ),
    rule!(
        "DDB202",
        Error,
        Principles,
        "Entity stored nowhere",
        "Every entity needs a table, or an embedding in its parent, to live in.",
        "Add a table for it or embed it in its parent through a relationship."
    ),
    rule!(
        "DDB203",
        Warning,
        Principles,
        "Entity stored in more than one table",
        "Copies of the same items in several tables must be kept in sync by the application; denormalise only with benchmark evidence.",
        "Serve the other patterns with a GSI on the entity's own table, or record a deviation."
    ),
    rule!(
        "DDB204",
        Warning,
        Principles,
        "Type-prefixed key value",
        "Natural keys keep items readable and indexes simple; a prefix such as USER# belongs to single-table designs.",
        "Store the plain identifier (e.g. 42 rather than USER#42)."
    ),
    rule!(
        "DDB205",
        Warning,
        Principles,
        "Generic key attribute name",
        "Names such as PK, SK or GSI1PK hide what the key is; natural names (CustomerId, OrderDate) document the model.",
        "Name the key after the attribute it holds."
    ),
    rule!(
        "DDB206",
        Warning,
        Principles,
        "Index not named for its purpose",
        "Purpose-named indexes (OrdersByCustomer) say what they answer; GSI1 says nothing.",
        "Rename it ThingsByAttribute, e.g. OrdersByCustomer."
    ),
    rule!(
        "DDB207",
        Warning,
        Principles,
        "One-to-one relationship not stored both ways",
        "Each side of a 1:1 relationship should carry the other's id so either can be reached with a GetItem.",
        "Add the other entity's identity attribute to each side."
    ),
    rule!(
        "DDB208",
        Warning,
        Principles,
        "Child does not carry its parent's id",
        "In a one-to-many relationship the child stores its parent's id, so a GSI on it lists the children.",
        "Add the parent's identity attribute to the child entity."
    ),
    rule!(
        "DDB209",
        Warning,
        Principles,
        "Many-to-many without a join table keyed by both ids",
        "An M:N relationship is a join entity whose table's partition key is one side's id and whose sort key is the other's.",
        "Add a join entity and table keyed (A's id, B's id), with a GSI keyed (B's id, A's id) if both directions are read."
    ),
    rule!(
        "DDB210",
        Error,
        Principles,
        "Embedded bundle can exceed 400 KB",
        "Embedding children in their parent item is only safe while the whole bundle stays under the 400 KB item limit.",
        "Give the child entity its own table, or cap the number of embedded items."
    ),
    rule!(
        "DDB211",
        Warning,
        Principles,
        "Embedded items not always read together",
        "Embedding pays off only when parent and children are always read together; otherwise every read and write moves bytes nobody asked for.",
        "Give the child entity its own table keyed by the parent id."
    ),
    rule!(
        "DDB212",
        Error,
        Principles,
        "Join entity on a 1:1 or 1:M relationship",
        "Only M:N needs a join table; a 1:1 or 1:M child carries its parent's id itself, so a join entity there means the cardinality or the model is wrong.",
        "Make the relationship M:N if it is one, or drop join_entity and store the parent's id in the child."
    ),
    rule!(
        "DDB213",
        Warning,
        Principles,
        "Concatenated index key where a multi-attribute key would do",
        "Since November 2025 a global secondary index can key on up to four partition-key and four sort-key attributes as they are. A synthetic attribute that glues values together (StatusCreatedAt = OPEN#2026-11-02) must be written with every item and rewritten whenever a part changes, and its parts cannot be read or typed on their own.",
        "Key the GSI on the attributes themselves — partition_key with more_partition_keys, sort_key with more_sort_keys — and drop the synthetic attribute, or record a deviation with the reason it is needed."
    ),
    rule!(
        "DDB301",
        Error,
        Capacity,
        "Hot partition: reads on one key value above 3,000 RCU/s",
        "One partition serves at most 3,000 read units per second, summed over every pattern that reads the key value; adaptive capacity moves throughput to a busy partition and splits a hot key range for heat, but one key value never exceeds the limit, so this traffic is throttled whatever the table's total.",
        "Use eventually consistent reads, cache the hot key, or spread it over several key values (write sharding)."
    ),
    rule!(
        "DDB302",
        Error,
        Capacity,
        "Hot partition: writes on one key value above 1,000 WCU/s",
        "One partition accepts at most 1,000 write units per second.",
        "Spread writes over more key values (add a shard suffix) or shrink the item; adaptive capacity and split-for-heat spread hot key ranges, never one key value beyond 1,000 WCU."
    ),
    rule!(
        "DDB303",
        Error,
        Capacity,
        "Hot index partition: index writes on one key value above 1,000 WCU/s",
        "Every write that reaches a GSI lands on the partition of its GSI key; a low-cardinality GSI key throttles the index, and GSI throttling throttles the table's writes.",
        "Key the GSI on a higher-cardinality attribute (not a time bucket every current write shares), add a shard suffix, or make it sparse; a throttled GSI also throttles the table's writes."
    ),
    rule!(
        "DDB304",
        Warning,
        Capacity,
        "Table above the default on-demand quota",
        "An on-demand table is limited to 40,000 read and 40,000 write request units per second by default.",
        "Request a quota increase before launch, or reduce the units per operation."
    ),
    rule!(
        "DDB305",
        Warning,
        Capacity,
        "Latency target tighter than DynamoDB answers",
        "DynamoDB answers single-item calls in single-digit milliseconds; a p95 target below 2 ms cannot be met by DynamoDB alone.",
        "Put an in-memory cache in front for the reads that need it (DAX answers repeated reads in microseconds), or relax the target."
    ),
    rule!(
        "DDB306",
        Warning,
        Capacity,
        "Monthly cost over the budget",
        "The cost model (the same as `cost`) prices the design's request units and storage at its peak rates; above the budget, the design or the budget has to change.",
        "Lower the costliest patterns (eventual reads, narrower index projections, fewer index writes), check the assumed rates, or raise the budget and record why."
    ),
    rule!(
        "DDB307",
        Warning,
        Capacity,
        "Index no access pattern reads",
        "Every write to a table also writes each index that holds the item; an index nobody queries costs writes and storage and serves nothing.",
        "Remove the index, or add the access pattern it exists for."
    ),
    rule!(
        "DDB308",
        Warning,
        Capacity,
        "Index keyed like its table or another index",
        "An index with the same partition and sort key as its table or another index keeps a second copy of the same order, paid on every write.",
        "Remove the duplicate; if it exists for a narrower projection, say so in a deviation."
    ),
    rule!(
        "DDB309",
        Warning,
        Capacity,
        "Index key rewritten by a frequent update",
        "Changing an index key attribute deletes the old index entry and writes a new one: two index writes per call, and the entry moves between partitions.",
        "Key the index by attributes that do not change, make the changing value a projected (non-key) attribute, or accept the cost in a deviation."
    ),
    rule!(
        "DDB310",
        Warning,
        Capacity,
        "Key value near its partition's limit",
        "Every pattern that reaches one partition-key value adds up: within 20 % of 1,000 WCU or 3,000 RCU a burst or a skew the estimate missed throttles it.",
        "Leave headroom: spread the key (a shard suffix), cache hot reads, or check the rates; adaptive capacity moves throughput to a busy partition and splits a hot key range, but one key value never exceeds its partition's limit."
    ),
    rule!(
        "DDB311",
        Error,
        Capacity,
        "Item collection reaches 10 GB",
        "A table with a local secondary index keeps each partition-key value's items and LSI entries in one item collection of at most 10 GB; writes to a full collection fail.",
        "Expire items (TTL, with retention_days), spread the partition key, or replace the LSI with a GSI, which has no collection limit."
    ),
];

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}
